import {randomUUID} from 'node:crypto'
import {setTimeout as delay} from 'node:timers/promises'

import type {Db} from '../db/database.js'
import type {StorageMonitor} from '../db/storage-monitor.js'
import type {GitCallOptions, JobContext, JobRun, ProgressUpdate} from './job-context.js'
import type {JobEvents} from './job-events.js'
import type {JobChanges, JobStore} from './job-store.js'

import {storageFailureMessage} from '../db/storage-errors.js'
import {livePidsInGroups} from '../git/process-groups.js'
import {runGit} from '../git/run-git.js'
import {redactUrls} from '../repos/layout.js'
import {nowMicros} from '../time.js'
import {type JobRow, toWireJob} from './job-row.js'

/** A running job starts at 10 %, as on the real server. */
export const RUNNING_START_PROGRESS = 10
const PROGRESS_WRITE_INTERVAL_MS = 1000
/** Progress events are coalesced to at most one per job per this interval (well under 100 ms). */
const PROGRESS_EVENT_INTERVAL_MS = 40
/** How often a terminal state that storage refused is written again. */
const UNWRITTEN_RETRY_MS = 1000

export const CANCELLED_DURING_EXECUTION = 'Job cancelled during execution'
export const CANCELLED_BY_SHUTDOWN = 'Cancelled by server shutdown'

export interface JobSpec {
  jobId?: string
  operationType: string
  /** The alias the job works on; it is also put into `result.alias` from the start. */
  repository: null | string
  run: JobRun
  username: string
}

interface QueuedJob {
  /** What `result` holds from the start (`{alias}`); the outcome is merged into it. */
  initialResult: Record<string, unknown>
  /** The row as submitted (pending). */
  row: JobRow
  run: JobRun
}

/** A cancel asked for by a user or by shutdown: the job ends `cancelled` with this message. */
class CancelRequest extends Error {}

interface Ending {
  error: null | string
  progress: number
  result?: Record<string, unknown>
  status: string
}

/** The columns a terminal state sets. */
function endingChanges(ending: Ending, atUs: number): JobChanges {
  return {...ending, completed_us: atUs, updated_us: atUs, current_phase: null, phase_detail: null}
}

/** The row as it is once the ending is written: what readers see while storage refuses it. */
function endedRow(row: JobRow, ending: Ending, atUs: number): JobRow {
  const result = ending.result === undefined ? row.result : JSON.stringify(ending.result)
  return {
    ...row,
    status: ending.status,
    error: ending.error,
    progress: ending.progress,
    result,
    completed_us: atUs,
    updated_us: atUs,
    current_phase: null,
    phase_detail: null,
  }
}

/** State of one job while it runs; the source of truth for its progress until it ends. */
class RunningJob {
  readonly controller = new AbortController()
  detail: null | string = null
  eventTimer: NodeJS.Timeout | undefined
  finished: Promise<void> = Promise.resolve()
  lastChangeUs = nowMicros()
  lastWriteMs = Date.now()
  phase: null | string = null
  readonly processGroups = new Set<number>()
  progress = RUNNING_START_PROGRESS
  writeTimer: NodeJS.Timeout | undefined

  constructor(
    readonly jobId: string,
    /** The row as last stored (with its status); progress columns are this object's. */
    public row: JobRow,
  ) {}

  clearTimers(): void {
    clearTimeout(this.writeTimer)
    clearTimeout(this.eventTimer)
    this.writeTimer = undefined
    this.eventTimer = undefined
  }
}

export interface EngineOptions {
  /** A clone or fetch silent this long is stopped and fails its job; 0 never stops one. */
  gitStallTimeoutMs: number
  throttleMs: number
  workers: number
}

/** What the engine works with: the database, its job rows, the event fan-out, the storage watch. */
export interface EngineParts {
  db: Db
  events: JobEvents
  options: EngineOptions
  storage: StorageMonitor
  store: JobStore
}

/**
 * A bounded pool of job slots. Jobs wait `pending` in a FIFO queue until a slot frees, then run
 * `running` and end in exactly one terminal state. Everything runs in this process: the heavy
 * lifting is done by git child processes and by short SQLite transactions. A storage error in
 * a job's own bookkeeping fails that job, never the process.
 */
export class JobEngine {
  private readonly db: Db
  private readonly events: JobEvents
  private lastCreatedUs = 0
  private readonly options: EngineOptions
  private readonly queue: QueuedJob[] = []
  private retryTimer: NodeJS.Timeout | undefined
  private readonly running = new Map<string, RunningJob>()
  private stopping = false
  private readonly storage: StorageMonitor
  private readonly store: JobStore
  /** Terminal states storage refused, by job: shown to readers and written again until it works. */
  private readonly unwritten = new Map<string, {changes: JobChanges; row: JobRow}>()

  constructor({db, store, events, storage, options}: EngineParts) {
    this.db = db
    this.store = store
    this.events = events
    this.storage = storage
    this.options = options
  }

  /**
   * Cancels a pending or running job. A queued one ends at once; a running one is signalled and
   * ends `cancelled` once its code has stopped and rolled back. A job row no worker owns (seeded,
   * or left by an earlier process) is ended at once.
   */
  cancel(row: JobRow): void {
    // Ended already; only storage has not taken its terminal state yet.
    if (this.unwritten.has(row.job_id)) return
    const queuedAt = this.queue.findIndex((job) => job.row.job_id === row.job_id)
    if (queuedAt !== -1) {
      // Written first: if storage refuses, the job stays queued and the caller gets the error.
      this.finish(row.job_id, {status: 'cancelled', error: null, progress: row.progress})
      this.queue.splice(queuedAt, 1)
      return
    }

    const running = this.running.get(row.job_id)
    if (running) {
      running.controller.abort(new CancelRequest(CANCELLED_DURING_EXECUTION))
      return
    }

    this.finish(row.job_id, {
      status: 'cancelled',
      error: row.status === 'running' ? CANCELLED_DURING_EXECUTION : null,
      progress: row.progress,
    })
  }

  /** Pids of live processes started by running jobs (all of them, or one job's). */
  childPids(jobId?: string): number[] {
    const groups = new Set<number>()
    for (const job of this.running.values()) {
      if (jobId === undefined || job.jobId === jobId) for (const group of job.processGroups) groups.add(group)
    }

    return livePidsInGroups(groups)
  }

  /** The row with the job's live progress while it runs here (or its unwritten end); other rows as they are. */
  liveRow(row: JobRow): JobRow {
    const unwritten = this.unwritten.get(row.job_id)
    if (unwritten) return unwritten.row
    const running = this.running.get(row.job_id)
    if (!running || row.status !== 'running') return row
    return {
      ...row,
      progress: running.progress,
      current_phase: running.phase,
      phase_detail: running.detail,
      updated_us: running.lastChangeUs,
    }
  }

  /**
   * Stops taking work, cancels what is queued and running, and waits for the running jobs to end.
   * Terminal states storage still refuses are lost; the next start marks those jobs orphaned.
   */
  async shutdown(): Promise<void> {
    this.stopping = true
    for (const queued of this.queue.splice(0))
      this.settle(queued.row, {status: 'cancelled', error: CANCELLED_BY_SHUTDOWN, progress: queued.row.progress})
    const running = [...this.running.values()]
    for (const job of running) job.controller.abort(new CancelRequest(CANCELLED_BY_SHUTDOWN))
    await Promise.all(running.map((job) => job.finished))
    this.writeUnwritten()
    clearInterval(this.retryTimer)
  }

  /** Records the job as pending and starts it when a slot is free. */
  submit(spec: JobSpec): JobRow {
    const initialResult = spec.repository === null ? null : {alias: spec.repository}
    const row = this.store.insert({
      job_id: spec.jobId ?? randomUUID(),
      operation_type: spec.operationType,
      status: 'pending',
      created_us: this.uniqueCreationTime(),
      username: spec.username,
      repository: spec.repository,
      result: initialResult,
    })
    this.events.publish(toWireJob(row, true))
    this.queue.push({row, run: spec.run, initialResult: initialResult ?? {}})
    this.pump()
    return row
  }

  private async checkpoint(job: RunningJob): Promise<void> {
    const {signal} = job.controller
    signal.throwIfAborted()
    // A job that goes on writing into a full disk only fails later, with less room for its rollback.
    this.storage.assertWritable()
    // Yield to the event loop between batches even without a throttle, so HTTP stays responsive.
    await (this.options.throttleMs > 0
      ? delay(this.options.throttleMs, undefined, {signal})
      : new Promise((resolve) => {
          setImmediate(resolve)
        }))
    signal.throwIfAborted()
  }

  private contextFor(job: RunningJob, username: string): JobContext {
    return {
      jobId: job.jobId,
      username,
      signal: job.controller.signal,
      report: (update) => this.report(job, update),
      checkpoint: () => this.checkpoint(job),
      git: (args, options) => this.runJobGit(job, args, options),
    }
  }

  /** Never rejects: whatever the job's code or storage throws ends in one terminal state. */
  private async execute(queued: QueuedJob, job: RunningJob): Promise<void> {
    try {
      this.markRunning(job)
      const result = await queued.run(this.contextFor(job, queued.row.username))
      this.settle(job.row, {
        status: 'completed',
        progress: 100,
        result: {...queued.initialResult, ...result},
        error: null,
      })
    } catch (error) {
      this.settle(job.row, this.unsuccessfulEnding(job, queued, error))
    } finally {
      job.clearTimers()
      this.running.delete(job.jobId)
      this.pump()
    }
  }

  /** A job whose own bookkeeping cannot be stored fails: the abort stops its git and rolls it back as a cancel does. */
  private failJob(job: RunningJob, error: unknown): void {
    this.storage.noteFailure(error)
    if (!job.controller.signal.aborted) job.controller.abort(error)
  }

  /** Terminal states are written and announced at once; a storage error goes to the caller. */
  private finish(jobId: string, ending: Ending): void {
    const row = this.store.update(jobId, endingChanges(ending, nowMicros()))
    if (row) this.events.publish(toWireJob(row, true))
  }

  private markRunning(job: RunningJob): void {
    const started = this.store.update(job.jobId, {
      status: 'running',
      started_us: nowMicros(),
      progress: RUNNING_START_PROGRESS,
      updated_us: job.lastChangeUs,
    })
    if (!started) return
    job.row = started
    this.events.publish(toWireJob(started, true))
  }

  private publishProgress(job: RunningJob): void {
    job.eventTimer = undefined
    if (this.running.has(job.jobId)) this.events.publish(toWireJob(this.liveRow(job.row), true))
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.options.workers && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedJob
      const running = new RunningJob(next.row.job_id, next.row)
      this.running.set(running.jobId, running)
      running.finished = this.execute(next, running)
    }
  }

  private report(job: RunningJob, update: ProgressUpdate): void {
    if (job.controller.signal.aborted) return
    const progress =
      update.progress === undefined ? job.progress : Math.max(0, Math.min(100, Math.round(update.progress)))
    const phase = update.phase === undefined ? job.phase : update.phase
    const detail = update.detail === undefined ? job.detail : update.detail
    if (progress === job.progress && phase === job.phase && detail === job.detail) return
    Object.assign(job, {progress, phase, detail, lastChangeUs: nowMicros()})
    job.eventTimer ??= setTimeout(() => this.publishProgress(job), PROGRESS_EVENT_INTERVAL_MS)
    const sinceWriteMs = Date.now() - job.lastWriteMs
    if (sinceWriteMs >= PROGRESS_WRITE_INTERVAL_MS) this.writeProgress(job)
    else job.writeTimer ??= setTimeout(() => this.writeProgress(job), PROGRESS_WRITE_INTERVAL_MS - sinceWriteMs)
  }

  private async runJobGit(job: RunningJob, args: string[], options: GitCallOptions = {}): Promise<string> {
    return runGit(args, {
      cwd: options.cwd,
      signal: options.ignoreCancellation ? undefined : job.controller.signal,
      onStderrLine: options.onStderrLine,
      stallTimeoutMs:
        options.watchForStalls && this.options.gitStallTimeoutMs > 0 ? this.options.gitStallTimeoutMs : undefined,
      onSpawn: (pgid) => {
        job.processGroups.add(pgid)
        this.writeForJob(job, () =>
          this.db.prepare('INSERT OR REPLACE INTO job_processes (pgid, job_id) VALUES (?, ?)').run(pgid, job.jobId),
        )
      },
      onExit: (pgid) => {
        job.processGroups.delete(pgid)
        this.writeForJob(job, () => this.db.prepare('DELETE FROM job_processes WHERE pgid = ?').run(pgid))
      },
    })
  }

  /** Like finish, but never throws: a terminal state storage refuses is announced, kept and written again later. */
  private settle(row: JobRow, ending: Ending): void {
    const atUs = nowMicros()
    const changes = endingChanges(ending, atUs)
    try {
      const stored = this.store.update(row.job_id, changes)
      if (stored) this.events.publish(toWireJob(stored, true))
    } catch (error) {
      this.storage.noteFailure(error)
      const ended = endedRow(row, ending, atUs)
      this.unwritten.set(row.job_id, {row: ended, changes})
      this.events.publish(toWireJob(ended, true))
      this.retryTimer ??= setInterval(() => this.writeUnwritten(), UNWRITTEN_RETRY_MS).unref()
    }
  }

  /** Creation times are unique and increasing, so "newest first" is the submission order. */
  private uniqueCreationTime(): number {
    this.lastCreatedUs = Math.max(nowMicros(), this.lastCreatedUs + 1)
    return this.lastCreatedUs
  }

  /** Cancelled when asked to; failed otherwise, with the error that stopped the job (a storage error named as such). */
  private unsuccessfulEnding(job: RunningJob, queued: QueuedJob, error: unknown): Ending {
    const {signal} = job.controller
    if (signal.reason instanceof CancelRequest)
      return {status: 'cancelled', progress: job.progress, error: signal.reason.message}
    const failure: unknown = signal.aborted ? signal.reason : error
    this.storage.noteFailure(failure)
    const message = redactUrls(
      storageFailureMessage(failure) ?? (failure instanceof Error ? failure.message : String(failure)),
    )
    return {
      status: 'failed',
      progress: job.progress,
      error: message,
      result: {...queued.initialResult, success: false, error: message},
    }
  }

  /** One of a running job's own writes (progress, process groups): a failure fails the job, it never throws. */
  private writeForJob(job: RunningJob, write: () => void): void {
    try {
      write()
    } catch (error) {
      this.failJob(job, error)
    }
  }

  private writeProgress(job: RunningJob): void {
    clearTimeout(job.writeTimer)
    job.writeTimer = undefined
    job.lastWriteMs = Date.now()
    this.writeForJob(job, () =>
      this.store.update(job.jobId, {
        progress: job.progress,
        current_phase: job.phase,
        phase_detail: job.detail,
        updated_us: job.lastChangeUs,
      }),
    )
  }

  private writeUnwritten(): void {
    for (const [jobId, {changes}] of this.unwritten) {
      try {
        this.store.update(jobId, changes)
      } catch (error) {
        this.storage.noteFailure(error)
        return
      }

      this.unwritten.delete(jobId)
    }

    clearInterval(this.retryTimer)
    this.retryTimer = undefined
  }
}
