import type {ApiKeys} from '../auth/api-keys.js'
import type {RefreshTokens} from '../auth/refresh-tokens.js'
import type {UserStore} from '../auth/users.js'
import type {FileIndex} from '../indexer/file-index.js'
import type {JobRow} from '../jobs/job-row.js'
import type {JobStore, NewJob} from '../jobs/job-store.js'
import type {WindowFigures, WindowQuery} from '../jobs/stats/window-figures.js'
import type {ActivatedRepoRow, GoldenRepoRow, RepoStore, SyncedState} from '../repos/repo-store.js'

/**
 * The server's storage, behind one interface with two implementations: SQLite (the default, one
 * process; its classes answer synchronously) and PostgreSQL (a cluster of nodes; every answer is a
 * promise). Callers `await` every call, so they run on either. An operation that must be atomic is
 * one method: transactions never cross this interface.
 */

/** An answer now (SQLite) or later (PostgreSQL). */
export type Awaitable<T> = Promise<T> | T

/** The given methods of a store, each answering now or later. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaitable<Awaited<R>> : never
}

/** A job to record: `params` is what its handler needs to run it on any node (null: not runnable, e.g. seeded). */
export type NewStoredJob = NewJob & {
  /** What only one pending or running job may hold at a time (the 409 rule); null for jobs outside it. */
  active_key?: null | string
  /** The node it runs on, for a job recorded running (tests seed such jobs); the engine's get theirs when claimed. */
  node?: null | string
  params?: null | object
}

/** A stored job with the columns beyond the wire's: who runs it, what it runs with, a cancel asked for. */
export type StoredJobRow = JobRow & {
  active_key?: null | string
  cancel_requested_us?: null | number
  node?: null | string
  params?: null | string
}

/** A job refused because another pending or running job holds its `active_key`. */
export class ActiveJobConflictError extends Error {
  constructor(
    readonly activeKey: string,
    /** The job that holds the key, when it could be read (it may have ended in between). */
    readonly holder: JobRow | undefined,
  ) {
    super(`Another active job holds ${activeKey}`)
    this.name = 'ActiveJobConflictError'
  }
}

/** A git process group a running job started, and the node it runs on. */
export interface JobProcess {
  /** The host it runs on (`os.hostname()`); only a process on this host may be signalled from here. */
  host?: string
  job_id: string
  node: string
  pgid: number
}

/** All SQL on jobs; the reads are the SQLite JobStore's. */
export interface JobStorage extends Async<
  Pick<
    JobStore,
    | 'countFromTally'
    | 'countsByStatus'
    | 'countsByType'
    | 'failedSince'
    | 'findActive'
    | 'finishedBefore'
    | 'finishedBeforeByStatus'
    | 'get'
    | 'list'
    | 'oldestPending'
    | 'runningSilentSince'
    | 'update'
  >
> {
  /** Ends a pending job `cancelled` if it is still pending (no node took it); the ended row, else undefined. */
  cancelPending(jobId: string, atUs: number): Awaitable<JobRow | undefined>
  /** Running jobs on `node` whose cancel was asked for (on any node). */
  cancelRequestedOn(node: string): Awaitable<string[]>
  /** Takes the oldest pending runnable job (one with params) for `node` and marks it running at `atUs`. */
  claimNext(node: string, atUs: number): Awaitable<StoredJobRow | undefined>
  /** Running jobs of `node` become failed with `reason`; returns them as they were. */
  failRunningOn(node: string, reason: string, atUs: number): Awaitable<StoredJobRow[]>
  /** Records a job; throws ActiveJobConflictError while another active job holds its `active_key`. */
  insert(job: NewStoredJob): Awaitable<StoredJobRow>
  /** Jobs a crash of the single server left pending or running become failed; returns them as they were. */
  orphanActive(reason: string): Awaitable<JobRow[]>
  /** Asks the node running the job to cancel it (it reads this, or is told). */
  requestCancel(jobId: string, atUs: number): Awaitable<void>
  /** Every running job, with the node it runs on (health's node list, a dead node's sweep). */
  running(): Awaitable<StoredJobRow[]>
}

/** Git process groups of running jobs, so that a restart or another node can stop survivors. */
export interface ProcessStorage {
  add(process: JobProcess): Awaitable<void>
  /** Forgets the process groups of a node (after it stopped them or found them gone). */
  clear(node: string): Awaitable<void>
  of(node: string): Awaitable<JobProcess[]>
  remove(pgid: number, node: string): Awaitable<void>
}

/** A repository the catalog knows: a golden one, or a user's activated one. */
export type RepoRef = {alias: string; kind: 'golden'} | {kind: 'activated'; userAlias: string; username: string}

/** Repository rows and the full-text index together, as jobs publish both at once. */
export interface RepoStorage extends Async<
  Pick<
    RepoStore,
    'activated' | 'activatedOf' | 'allActivated' | 'allGolden' | 'golden' | 'setActivatedSyncBase' | 'setGoldenSyncBase'
  >
> {
  /** Drops the repository's index rows and its row, in one transaction. */
  forget(repo: RepoRef): Awaitable<void>
  /** The staged index rows become the new working copy's, and its row is recorded, in one transaction. */
  publishActivated(stagingKey: string, row: Omit<ActivatedRepoRow, 'sync_base_head' | 'synced_us'>): Awaitable<void>
  /** The staged index rows become the golden repository's, and its row is recorded, in one transaction. */
  publishGolden(stagingKey: string, row: Omit<GoldenRepoRow, 'sync_base_head' | 'synced_us'>): Awaitable<void>
  /** A sync's staged rows replace the changed and removed paths (all, with `replaceAll`), and the row records the new head. */
  publishSync(
    stagingKey: string,
    repo: RepoRef,
    change: {removedPaths: string[]; replaceAll: boolean; synced: SyncedState},
  ): Awaitable<void>
}

/** The full-text index, as jobs write and tests read it. */
export interface IndexStorage extends Async<
  Pick<FileIndex, 'drop' | 'dropStagingAreas' | 'search' | 'shas' | 'stage'>
> {
  /** Rows per repository key (tests check that no staging rows were left). */
  keyCounts(): Awaitable<Record<string, number>>
}

/** Users, API keys, refresh tokens and revoked access tokens. */
export interface AuthStorage {
  apiKeys: Async<Pick<ApiKeys, 'create' | 'ownerOf'>>
  refreshTokens: Async<Pick<RefreshTokens, 'rotate' | 'startFamily'>> & {readonly ttlSeconds: number}
  revoked: {
    /** Whether a refresh family was revoked (or never existed): its access tokens are invalid too. */
    isFamilyRevoked(familyId: string): Awaitable<boolean>
    isRevoked(jti: string): Awaitable<boolean>
    revoke(jti: string, expiresUs: number): Awaitable<void>
  }
  users: Async<Pick<UserStore, 'create' | 'get'>>
}

/** Finished jobs moved to the archive, and the figures of `jobs stats`. */
export interface HistoryStorage {
  /** Archives then deletes the finished jobs `select` returns, batch after batch; returns how many went. */
  sweep(select: (limit: number) => Awaitable<JobRow[]>): Awaitable<number>
  /** The stats figures of a window. */
  windowFigures(query: WindowQuery): Awaitable<WindowFigures>
}

/** Everything a node stores. */
export interface Storage {
  auth: AuthStorage
  /** Releases connections (PostgreSQL) or closes the file (SQLite). */
  close(): Awaitable<void>
  history: HistoryStorage
  index: IndexStorage
  jobs: JobStorage
  /** `sqlite` or `postgres`, for health and logs. */
  readonly kind: 'postgres' | 'sqlite'
  processes: ProcessStorage
  repos: RepoStorage
}
