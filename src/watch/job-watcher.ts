/**
 * The watch engine behind `cidx jobs watch` and `cidx jobs status --wait`.
 *
 * It follows a set of jobs (given IDs, or every active job the caller can see, picking up new
 * ones) and yields an event whenever one of them changes, until all of them have ended.
 * Changes arrive by push (the server's event stream) when the server offers it, else by
 * polling with a bounded number of requests per interval however many jobs are followed.
 * A server that goes away yields "reconnecting"; watching resumes when it is back, and gives
 * up with a NetworkError (exit 5) after a grace period.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import {CliError, ForbiddenError, InterruptedError, NetworkError, NotFoundError} from '../errors.js'
import {isTerminal, type Job} from '../jobs/job.js'
import type {JobsClient, ListQuery} from '../client/jobs-client.js'
import {serverListsExactly} from '../client/paging.js'

export const DEFAULT_INTERVAL_MS = 1000
export const DEFAULT_RECONNECT_GRACE_MS = 60_000
/** getJob calls per poll on top of the list calls: this, not the number of jobs, bounds the request rate. */
export const DETAIL_BUDGET = 4
/** The statuses a still-active job has on the wire (a real server says `pending`; the client maps `queued`). */
const ACTIVE_LIST_STATUSES = ['queued', 'running', 'resolving_prerequisites'] as const
/** One page per status per poll: the most a real server returns, and enough for the active jobs of anyone. */
const LIST_PAGE_SIZE = 50
/** With push, a slow poll still runs now and then to repair whatever the stream may have missed. */
const PUSH_RESYNC_MS = 15_000
const STREAM_RETRY_MIN_MS = 250
const STREAM_RETRY_MAX_MS = 5000

/** The part of JobsClient the engine uses. */
export type WatchClient = Pick<JobsClient, 'getJob' | 'listPage' | 'serverFeatures' | 'streamJobEvents'>

export type JobChange = 'new' | 'status' | 'progress' | 'step' | 'error' | 'timestamps' | 'repository' | 'result'

export interface JobChangeEvent {
  type: 'job'
  job: Job
  previous: Job | null
  changes: JobChange[]
  at: Date
}

/** A followed job the server no longer knows (cleaned up, or no longer visible to the caller). */
export interface JobGoneEvent {
  type: 'gone'
  jobId: string
  previous: Job
  at: Date
}

export interface ReconnectingEvent {
  type: 'reconnecting'
  reason: string
  at: Date
}

export interface ReconnectedEvent {
  type: 'reconnected'
  downForMs: number
  at: Date
}

export type WatchEvent = JobChangeEvent | JobGoneEvent | ReconnectingEvent | ReconnectedEvent

export interface WatchOptions {
  /** Full job IDs to follow. Empty or absent: every active job the caller can see, and new ones as they start. */
  jobIds?: readonly string[]
  /** When discovering: only these job types (any when empty). */
  types?: readonly string[]
  /** When discovering: only jobs on these repositories (any when empty). */
  repositories?: readonly string[]
  /** Polling period (start to start), and the ceiling on how stale a change can be when polling. */
  intervalMs?: number
  /** How long the server may stay unreachable before watching gives up with NetworkError. */
  reconnectGraceMs?: number
  /** false forces polling even when the server offers push. */
  push?: boolean
  /** Aborting stops watching: the iterator throws the reason when it is a CliError, else InterruptedError. */
  signal?: AbortSignal
}

export type WatchMode = 'push' | 'poll'

/** What changed between two snapshots of a job. The ETA is left out: it moves with the clock alone. */
export function jobChanges(previous: Job | null, next: Job): JobChange[] {
  if (!previous) return ['new']
  const a = previous.progress_detail
  const b = next.progress_detail
  const changes: JobChange[] = []
  if (previous.status !== next.status) changes.push('status')
  if (previous.progress !== next.progress) changes.push('progress')
  if (
    a.current_step !== b.current_step ||
    a.steps_completed !== b.steps_completed ||
    a.total_steps !== b.total_steps ||
    a.detailed_status !== b.detailed_status
  ) {
    changes.push('step')
  }

  if (previous.error_message !== next.error_message) changes.push('error')
  if (previous.started_at !== next.started_at || previous.completed_at !== next.completed_at) changes.push('timestamps')
  if (previous.repository !== next.repository) changes.push('repository')
  if (JSON.stringify(previous.result) !== JSON.stringify(next.result)) changes.push('result')
  return changes
}

/** Errors that mean "the server is (for now) out of reach", as opposed to answers we must report. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof NetworkError) return true
  return error instanceof CliError && error.kind === 'server' && [502, 503, 504].includes(error.status ?? 0)
}

/** The error that ends watching when `signal` aborts. */
export function abortError(signal: AbortSignal): CliError {
  return signal.reason instanceof CliError ? signal.reason : new InterruptedError('Stopped watching.')
}

/**
 * What a new snapshot lacks but an earlier one knew: a listing carries no phase details, and
 * the wire job names no repository until its result does (the repository never changes).
 */
function withKnownOf(previous: Job, next: Job, source: 'push' | 'list' | 'detail'): Job {
  let merged = next
  if (next.repository === null && previous.repository !== null) {
    merged = {...merged, repository: previous.repository, description: previous.description}
  }

  const detail = next.progress_detail
  if (source === 'list' && detail.current_step === null && detail.detailed_status === null) {
    const {current_step, steps_completed, total_steps, detailed_status} = previous.progress_detail
    merged = {...merged, progress_detail: {...detail, current_step, steps_completed, total_steps, detailed_status}}
  }

  return merged
}

/** `count` items of `items` starting at `start`, wrapping around: spreads a budget fairly over many polls. */
function rotate<T>(items: readonly T[], start: number, count: number): T[] {
  if (items.length <= count) return [...items]
  return Array.from({length: count}, (_, index) => items[(start + index) % items.length])
}

/** A single-consumer queue the background loops fill and the iterator drains. */
class EventQueue<T> {
  private readonly items: T[] = []
  private failure: {error: unknown} | undefined
  private closed = false
  private wake: (() => void) | undefined

  push(item: T): void {
    this.items.push(item)
    this.notify()
  }

  fail(error: unknown): void {
    this.failure ??= {error}
    this.notify()
  }

  close(): void {
    this.closed = true
    this.notify()
  }

  async *drain(): AsyncGenerator<T> {
    for (;;) {
      // A failure (abort, timeout, fatal error) wins over events still queued: stopping must be prompt.
      if (this.failure) throw this.failure.error
      const item = this.items.shift()
      if (item !== undefined) {
        yield item
        continue
      }

      if (this.closed) return
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

export class JobWatcher {
  /** The latest snapshot of every job followed so far. */
  readonly jobs = new Map<string, Job>()
  /** Followed jobs the server stopped knowing about. */
  readonly gone = new Set<string>()
  private readonly discover: boolean
  private readonly givenIds: Set<string>
  private readonly intervalMs: number
  private readonly graceMs: number
  private readonly queue = new EventQueue<WatchEvent>()
  private readonly stopper = new AbortController()
  /** When the stream last told us about a job: a poll answer started before that is older news. */
  private readonly pushedAt = new Map<string, number>()
  private modeValue: WatchMode = 'poll'
  private streamLive = false
  private outageSince: number | null = null
  private detailCursor = 0
  private wakePoll: (() => void) | undefined
  private features = new Set<string>()

  constructor(
    private readonly client: WatchClient,
    private readonly options: WatchOptions = {},
  ) {
    this.givenIds = new Set(options.jobIds)
    this.discover = this.givenIds.size === 0
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS
    this.graceMs = options.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS
  }

  /** Push or poll; known once watching has started. */
  get mode(): WatchMode {
    return this.modeValue
  }

  /**
   * Every change, starting with one event per followed job (its first snapshot), until all of
   * them have ended. Throws NotFoundError when a given ID does not exist, NetworkError when the
   * server stays away longer than the grace period, and the abort reason when the signal aborts.
   */
  async *events(): AsyncGenerator<WatchEvent> {
    const {signal} = this.options
    if (signal?.aborted) throw abortError(signal)
    const onAbort = () => this.queue.fail(abortError(signal!))
    signal?.addEventListener('abort', onAbort, {once: true})
    try {
      await this.untilStopped(this.start())
      yield* this.queue.drain()
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.stopper.abort()
    }
  }

  private async start(): Promise<void> {
    const startedAt = Date.now()
    this.features = await this.client.serverFeatures()
    await (this.discover ? this.pollOnce(startedAt) : this.fetchGivenJobs(startedAt))
    this.modeValue = this.options.push !== false && this.features.has('job_events') ? 'push' : 'poll'
    if (this.finished()) {
      this.queue.close()
      return
    }

    this.background(this.pollLoop(startedAt))
    if (this.modeValue === 'push') this.background(this.streamLoop())
  }

  private async fetchGivenJobs(startedAt: number): Promise<void> {
    const ids = [...this.givenIds]
    const jobs = await Promise.all(ids.map((id) => this.client.getJob(id)))
    for (const job of jobs) this.apply(job, 'detail', startedAt)
  }

  private background(loop: Promise<void>): void {
    loop.catch((error: unknown) => {
      if (!this.stopper.signal.aborted) this.queue.fail(error)
    })
  }

  /** Resolves like `work`, or rejects as soon as the caller's signal aborts (a request in flight is then left behind). */
  private async untilStopped<T>(work: Promise<T>): Promise<T> {
    const {signal} = this.options
    if (!signal) return work
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal))
      signal.addEventListener('abort', onAbort, {once: true})
    })
    try {
      return await Promise.race([work, aborted])
    } finally {
      signal.removeEventListener('abort', onAbort!)
    }
  }

  private finished(): boolean {
    // Given jobs not fetched yet are not finished (the first ones may already be in).
    for (const id of this.givenIds) if (!this.jobs.has(id)) return false
    for (const job of this.jobs.values()) {
      if (!isTerminal(job.status) && !this.gone.has(job.job_id)) return false
    }

    return true
  }

  private openJobIds(): string[] {
    return [...this.jobs.values()]
      .filter((job) => !isTerminal(job.status) && !this.gone.has(job.job_id))
      .map((job) => job.job_id)
  }

  private matchesFilters(job: Job): boolean {
    const {repositories = [], types = []} = this.options
    if (types.length > 0 && !types.includes(job.job_type)) return false
    return repositories.length === 0 || (job.repository !== null && repositories.includes(job.repository))
  }

  /** Whether a job not followed yet should be: one of the given IDs, or (discovering) an active job that matches the filters. */
  private wants(job: Job): boolean {
    if (!this.discover) return this.givenIds.has(job.job_id)
    return !isTerminal(job.status) && this.matchesFilters(job)
  }

  /**
   * The wire job names no repository until its result does; a server with filters knows it.
   * So a new job of unknown repository, pushed while a repository filter applies, is left to
   * the next poll's server-filtered listing, which is brought forward.
   */
  private maybeOnFilteredRepository(job: Job): boolean {
    return this.discover && job.repository === null && (this.options.repositories ?? []).length > 0 && !isTerminal(job.status)
  }

  /** Takes a snapshot in; queues an event when something the user can see changed. */
  private apply(job: Job, source: 'push' | 'list' | 'detail', requestedAt: number): void {
    const id = job.job_id
    const previous = this.jobs.get(id) ?? null
    if (!previous && !this.wants(job)) {
      if (source === 'push' && this.maybeOnFilteredRepository(job)) this.wakePoll?.()
      return
    }

    if (previous && (isTerminal(previous.status) || this.gone.has(id))) return
    if (source === 'push') this.pushedAt.set(id, Date.now())
    else if ((this.pushedAt.get(id) ?? -1) >= requestedAt) return
    const next = previous ? withKnownOf(previous, job, source) : job
    const changes = jobChanges(previous, next)
    this.jobs.set(id, next)
    if (changes.length > 0) this.queue.push({type: 'job', job: next, previous, changes, at: new Date()})
    if (this.finished()) this.queue.close()
  }

  private markGone(id: string): void {
    const previous = this.jobs.get(id)
    if (!previous || this.gone.has(id)) return
    this.gone.add(id)
    this.queue.push({type: 'gone', jobId: id, previous, at: new Date()})
    if (this.finished()) this.queue.close()
  }

  // ---- polling ------------------------------------------------------------------------------

  private currentIntervalMs(): number {
    const pushCoversIt = this.modeValue === 'push' && this.streamLive && this.outageSince === null
    return pushCoversIt ? Math.max(PUSH_RESYNC_MS, this.intervalMs) : this.intervalMs
  }

  private async pollLoop(lastStart: number): Promise<void> {
    let previousStart = lastStart
    while (!this.stopper.signal.aborted) {
      await this.sleepUntil(previousStart + this.currentIntervalMs())
      // Woken early or not, never poll more often than the interval.
      await sleep(previousStart + this.intervalMs - Date.now(), undefined, {signal: this.stopper.signal}).catch(() => {})
      if (this.stopper.signal.aborted) return
      previousStart = Date.now()
      try {
        await this.pollOnce(previousStart)
        this.connectionRestored()
      } catch (error) {
        this.connectionLost(error)
      }
    }
  }

  /** Sleeps until `deadline`, or less when the stream drops (polling must take over at once). */
  private async sleepUntil(deadline: number): Promise<void> {
    const delay = deadline - Date.now()
    if (delay <= 0) return
    const woken = new Promise<void>((resolve) => {
      this.wakePoll = resolve
    })
    await Promise.race([sleep(delay, undefined, {signal: this.stopper.signal}).catch(() => {}), woken])
    this.wakePoll = undefined
  }

  /**
   * One poll. Few jobs: getJob each. Many, or discovering: one list call per active status, then
   * getJob for at most DETAIL_BUDGET jobs (those that left the active lists first: they probably
   * ended; then running ones in turn, for their current step).
   */
  private async pollOnce(startedAt: number): Promise<void> {
    const open = this.openJobIds()
    const listed = this.discover || open.length > DETAIL_BUDGET ? await this.listActiveJobs() : null
    const ids = listed ? this.pickDetailIds(open, listed) : open
    const answers = await Promise.allSettled(ids.map((id) => this.client.getJob(id)))
    const isGone = (reason: unknown) => reason instanceof NotFoundError || reason instanceof ForbiddenError
    for (const answer of answers) if (answer.status === 'rejected' && !isGone(answer.reason)) throw answer.reason
    // Back in touch: say so before showing what happened meanwhile.
    this.connectionRestored()
    const detailed = new Set(ids.filter((_, index) => answers[index].status === 'fulfilled'))
    for (const job of listed?.values() ?? []) if (!detailed.has(job.job_id)) this.apply(job, 'list', startedAt)
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 'fulfilled') this.apply(answer.value, 'detail', startedAt)
      else this.markGone(ids[index])
    }
  }

  /**
   * One page per active status. When discovering with a repository filter on a server that
   * filters (job_filters), one per status and repository: its answer tells the repository of
   * jobs whose wire form does not.
   */
  private async listActiveJobs(): Promise<Map<string, Job>> {
    const {repositories = [], types = []} = this.discover ? this.options : {}
    const serverFilters = repositories.length > 0 && serverListsExactly(this.features)
    const perStatus = serverFilters ? [...repositories] : [undefined]
    const queries: ListQuery[] = ACTIVE_LIST_STATUSES.flatMap((status) =>
      perStatus.map((repository) => ({statuses: [status], types: types.length > 0 ? [...types] : undefined, repository})),
    )
    const pages = await Promise.all(queries.map((query) => this.client.listPage(query, {limit: LIST_PAGE_SIZE, offset: 0})))
    const listed = new Map<string, Job>()
    for (const [index, page] of pages.entries()) {
      const {repository} = queries[index]
      for (const job of page.jobs) listed.set(job.job_id, job.repository === null && repository ? {...job, repository} : job)
    }

    return listed
  }

  private pickDetailIds(open: string[], listed: Map<string, Job>): string[] {
    const missing = open.filter((id) => !listed.has(id))
    const running = open.filter((id) => listed.get(id)?.status === 'running')
    this.detailCursor += 1
    const picked = rotate(missing, this.detailCursor, DETAIL_BUDGET)
    return [...picked, ...rotate(running, this.detailCursor, DETAIL_BUDGET - picked.length)]
  }

  // ---- connection trouble -------------------------------------------------------------------

  private connectionLost(error: unknown): void {
    if (!isConnectionError(error)) throw error
    const now = Date.now()
    if (this.outageSince === null) {
      this.outageSince = now
      const reason = error instanceof Error ? error.message : String(error)
      this.queue.push({type: 'reconnecting', reason, at: new Date(now)})
    }

    if (now - this.outageSince >= this.graceMs) {
      throw new NetworkError(`The server has been unreachable for ${Math.round((now - this.outageSince) / 1000)} s; stopped watching.`, {
        cause: error,
        hint: 'Check that the server is up, or allow longer with --reconnect-grace.',
      })
    }
  }

  private connectionRestored(): void {
    if (this.outageSince === null) return
    const downForMs = Date.now() - this.outageSince
    this.outageSince = null
    this.queue.push({type: 'reconnected', downForMs, at: new Date()})
  }

  // ---- push ---------------------------------------------------------------------------------

  /** Follows the server's event stream, reconnecting with backoff; polling covers the gaps. */
  private async streamLoop(): Promise<void> {
    let retryMs = STREAM_RETRY_MIN_MS
    while (!this.stopper.signal.aborted) {
      const ids = this.discover ? undefined : this.openJobIds()
      try {
        for await (const job of this.client.streamJobEvents(ids, this.stopper.signal)) {
          this.streamLive = true
          retryMs = STREAM_RETRY_MIN_MS
          this.connectionRestored()
          this.apply(job, 'push', Date.now())
        }
      } catch (error) {
        if (this.stopper.signal.aborted) return
        if (isPushUnavailable(error)) {
          this.fallBackToPolling()
          return
        }

        // Our typed errors that are not about the connection (auth, protocol) end watching; anything
        // else thrown while reading is the stream breaking off, like a connection error.
        if (error instanceof CliError && !isConnectionError(error)) throw error
      }

      this.streamLive = false
      this.wakePoll?.()
      await sleep(retryMs, undefined, {signal: this.stopper.signal}).catch(() => {})
      retryMs = Math.min(retryMs * 2, STREAM_RETRY_MAX_MS)
    }
  }

  private fallBackToPolling(): void {
    this.modeValue = 'poll'
    this.streamLive = false
    this.wakePoll?.()
  }
}

/** The client's way of saying "this server has no event stream". */
function isPushUnavailable(error: unknown): boolean {
  return error instanceof CliError && error.kind === 'not_found' && error.status === 404
}
