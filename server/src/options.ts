import type Database from 'better-sqlite3'

import {hostname} from 'node:os'

import type {Role} from './auth/users.js'
import type {WireJob} from './jobs/job-row.js'

export interface ServerOptions {
  /** Default 600 (10 minutes), as on the real server. */
  accessTokenTtlSeconds?: number
  /** Active (pending + running) jobs one user may have; beyond that, 429. Defaults 10, admins 50. */
  activeJobLimit?: {admin?: number; user?: number}
  /** Password of the `admin` user made on first start; else CIDX_ADMIN_PASSWORD; else generated. */
  adminPassword?: string
  /**
   * Host names (without port) accepted in the Host header besides the server's own address
   * (and localhost / 127.0.0.1 / [::1] on a loopback bind): the names a browser may reach it by.
   */
  allowedHosts?: string[]
  /** Largest request body accepted. Default 64 KiB. */
  bodyLimitBytes?: number
  /** How often the retention job runs. Default one hour. */
  cleanupIntervalMs?: number
  /**
   * A PostgreSQL URL (`postgres://...`): the server runs as one node of a cluster whose nodes
   * share this database and the data dir. Without it, one server on SQLite in the data dir.
   */
  database?: string
  /** Where the database, the JWT secret and the repositories live. */
  dataDir: string
  /**
   * Event streams open at once per user (default 8), and how a stream whose client stopped
   * reading is bounded: closed once it stayed blocked `maxBlockedMs` (30 s) or the job states
   * held back for it exceed `maxPendingBytes` (1 MiB).
   */
  eventStreams?: {maxBlockedMs?: number; maxPendingBytes?: number; perUser?: number}
  /** A git clone or fetch that writes nothing for this long is stopped and its job fails. 0: never. Default 300. */
  gitStallTimeoutSeconds?: number
  /** When health calls a running job stuck, and the queue backed up. Defaults 300 s and 300 s. */
  health?: {queueWaitWarningSeconds?: number; stuckAfterSeconds?: number}
  /** How often a cluster node writes its heartbeat. Default 5, at most a third of `nodeTimeoutSeconds`. */
  heartbeatSeconds?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Test/demo knob: a pause between index batches, so jobs last long enough to be watched. Default 0. */
  jobThrottleMs?: number
  /** Fastify's request log on stdout. Default false. */
  logger?: boolean
  /**
   * Failed logins allowed per user name and client address in a window (default 10 per minute);
   * one address may fail ten times that across all names.
   */
  loginRateLimit?: {max: number; windowMs: number}
  /** This node's name in a cluster: unique among the live nodes. Default: the host name. */
  nodeName?: string
  /** A cluster node silent this long is taken for dead: another node fails its running jobs. Default 30. */
  nodeTimeoutSeconds?: number
  /** 0 (the default) picks a free port; the CLI defaults to 8090. */
  port?: number
  /** Default 604800 (7 days). */
  refreshTokenTtlSeconds?: number
  /** Finished jobs are deleted after this many hours. Default 720. */
  retentionHours?: number
  /** Concurrent jobs. Default 2. */
  workers?: number
}

export type ResolvedOptions = Required<
  Omit<ServerOptions, 'activeJobLimit' | 'adminPassword' | 'database' | 'eventStreams' | 'health'>
> & {
  activeJobLimit: {admin: number; user: number}
  adminPassword: string | undefined
  database: string | undefined
  eventStreams: {maxBlockedMs: number; maxPendingBytes: number; perUser: number}
  health: {queueWaitWarningSeconds: number; stuckAfterSeconds: number}
}

// The groups of options are filled in field by field: a group given in part keeps the other defaults.

function resolveHealth(health: ServerOptions['health'] = {}): ResolvedOptions['health'] {
  return {
    stuckAfterSeconds: health.stuckAfterSeconds ?? 300,
    queueWaitWarningSeconds: health.queueWaitWarningSeconds ?? 300,
  }
}

function resolveActiveJobLimit(limit: ServerOptions['activeJobLimit'] = {}): ResolvedOptions['activeJobLimit'] {
  return {user: limit.user ?? 10, admin: limit.admin ?? 50}
}

function resolveEventStreams(streams: ServerOptions['eventStreams'] = {}): ResolvedOptions['eventStreams'] {
  return {
    perUser: streams.perUser ?? 8,
    maxBlockedMs: streams.maxBlockedMs ?? 30_000,
    maxPendingBytes: streams.maxPendingBytes ?? 1024 * 1024,
  }
}

function resolveCluster(
  options: ServerOptions,
): Pick<ResolvedOptions, 'database' | 'heartbeatSeconds' | 'nodeName' | 'nodeTimeoutSeconds'> {
  const nodeTimeoutSeconds = Math.max(1, options.nodeTimeoutSeconds ?? 30)
  return {
    database: options.database,
    nodeName: options.nodeName ?? hostname(),
    nodeTimeoutSeconds,
    heartbeatSeconds: Math.min(options.heartbeatSeconds ?? 5, nodeTimeoutSeconds / 3),
  }
}

export function resolveOptions(options: ServerOptions): ResolvedOptions {
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    dataDir: options.dataDir,
    adminPassword: options.adminPassword ?? (process.env.CIDX_ADMIN_PASSWORD || undefined),
    workers: Math.max(1, Math.floor(options.workers ?? 2)),
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 600,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 604_800,
    retentionHours: options.retentionHours ?? 720,
    cleanupIntervalMs: options.cleanupIntervalMs ?? 3_600_000,
    loginRateLimit: options.loginRateLimit ?? {max: 10, windowMs: 60_000},
    logger: options.logger ?? false,
    jobThrottleMs: options.jobThrottleMs ?? 0,
    health: resolveHealth(options.health),
    bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
    gitStallTimeoutSeconds: Math.max(0, options.gitStallTimeoutSeconds ?? 300),
    activeJobLimit: resolveActiveJobLimit(options.activeJobLimit),
    eventStreams: resolveEventStreams(options.eventStreams),
    allowedHosts: options.allowedHosts ?? [],
    ...resolveCluster(options),
  }
}

/** A job row as tests seed it: wire field names, timestamps as ISO strings or Dates, anything optional. */
export interface SeedJob {
  completed_at?: Date | null | string
  created_at?: Date | string
  current_phase?: null | string
  error?: null | string
  job_id?: string
  operation_type?: string
  phase_detail?: null | string
  progress?: number
  /** The alias the job is about (the `repository` filter). Defaults to `result.alias`. */
  repository?: null | string
  result?: null | Record<string, unknown>
  started_at?: Date | null | string
  status?: string
  /** Last time the job made progress (health's "stuck" check). Defaults to started_at, else created_at. */
  updated_at?: Date | string
  username?: string
}

/** Helpers for tests and benchmarks of other packages; none of this is reachable over HTTP. */
export interface ServerTesting {
  /** Archives a job of any status and removes it, as retention would: the server no longer knows it. */
  archiveJob(jobId: string): Promise<void>
  /** Pids of live child processes (git and its helpers) of running jobs, or of one job. */
  childPids(jobId?: string): number[]
  /** Jobs stored, optionally only those of a status and/or user. */
  countJobs(filter?: {status?: string; username?: string}): Promise<number>
  /** An access token for a user, e.g. one that expires in a second. `claims` replace or add claims. */
  createAccessToken(
    username: string,
    options?: {claims?: Record<string, unknown>; ttlSeconds?: number},
  ): Promise<string>
  createUser(username: string, password: string, role: Role): Promise<void>
  /** The server's SQLite database (read it; write only if you know the schema); undefined on PostgreSQL. */
  db: Database.Database | undefined
  /** Open event streams: whose, and the bytes written to or held back for each that its client has not taken yet. */
  eventStreams(): {queuedBytes: number; username: string}[]
  /** Index rows per key, e.g. to check that no staging rows were left behind. */
  indexKeys(): Promise<Record<string, number>>
  /** Inserts a job row as given (any status, even unknown ones) and announces it. No worker runs it. */
  insertJob(job: SeedJob): Promise<WireJob>
  /** Marks an access token revoked ("Token has been revoked"). */
  revokeAccessToken(token: string): Promise<void>
  /** Paths whose text matches an FTS5 query in a repository's index (`golden/<alias>` or `user/<username>/<alias>`). */
  searchIndex(repoKey: string, query: string, limit?: number): Promise<string[]>
  /** Changes a job row and announces the change on the event stream. */
  updateJob(jobId: string, changes: Omit<SeedJob, 'job_id'>): Promise<WireJob>
}

export interface ServerHandle {
  /** The admin password when it was given or generated by this start; '' when an existing admin kept theirs. */
  adminPassword: string
  /** True when this start created the admin user with a generated password (print it once). */
  adminPasswordGenerated: boolean
  close(): Promise<void>
  /** The node's name in a cluster; '' for a single server. */
  node: string
  testing: ServerTesting
  url: string
}
