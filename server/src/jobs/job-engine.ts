import {randomUUID} from 'node:crypto'
import {setTimeout as delay} from 'node:timers/promises'
import type {Db} from '../db/database.js'
import {livePidsInGroups} from '../git/process-groups.js'
import {runGit} from '../git/run-git.js'
import {redactUrls} from '../repos/layout.js'
import {nowMicros} from '../time.js'
import type {GitCallOptions, JobContext, JobRun, ProgressUpdate} from './job-context.js'
import type {JobEvents} from './job-events.js'
import {toWireJob, type JobRow} from './job-row.js'
import type {JobStore} from './job-store.js'

/** A running job starts at 10 %, as on the real server. */
export const RUNNING_START_PROGRESS = 10
const PROGRESS_WRITE_INTERVAL_MS = 1000
/** Progress events are coalesced to at most one per job per this interval (well under 100 ms). */
const PROGRESS_EVENT_INTERVAL_MS = 40

export const CANCELLED_DURING_EXECUTION = 'Job cancelled during execution'
export const CANCELLED_BY_SHUTDOWN = 'Cancelled by server shutdown'

export interface JobSpec {
  operationType: string
  username: string
  /** The alias the job works on; it is also put into `result.alias` from the start. */
  repository: string | null
  jobId?: string
  run: JobRun
}

interface QueuedJob {
  jobId: string
  run: JobRun
  username: string
}

class ShutdownError extends Error {}

/** State of one job while it runs; the source of truth for its progress until it ends. */
class RunningJob {
  readonly controller = new AbortController()
  readonly processGroups = new Set<number>()
  progress = RUNNING_START_PROGRESS
  phase: string | null = null
  detail: string | null = null
  lastChangeUs = nowMicros()
  lastWriteMs = Date.now()
  writeTimer: NodeJS.Timeout | undefined
  eventTimer: NodeJS.Timeout | undefined
  finished: Promise<void> = Promise.resolve()

  constructor(readonly jobId: string) {}

  clearTimers(): void {
    clearTimeout(this.writeTimer)
    clearTimeout(this.eventTimer)
    this.writeTimer = undefined
    this.eventTimer = undefined
  }
}

export interface EngineOptions {
  workers: number
  throttleMs: number
}

/**
 * A bounded pool of job slots. Jobs wait `pending` in a FIFO queue until a slot frees, then run
 * `running` and end in exactly one terminal state. Everything runs in this process: the heavy
 * lifting is done by git child processes and by short SQLite transactions.
 */
export class JobEngine {
  private readonly queue: QueuedJob[] = []
  private readonly running = new Map<string, RunningJob>()
  private stopping = false
  private lastCreatedUs = 0

  constructor(
    private readonly db: Db,
    private readonly store: JobStore,
    private readonly events: JobEvents,
    private readonly options: EngineOptions,
  ) {}

  /** Records the job as pending and starts it when a slot is free. */
  submit(spec: JobSpec): JobRow {
    const jobId = spec.jobId ?? randomUUID()
    const row = this.store.insert({
      job_id: jobId,
      operation_type: spec.operationType,
      status: 'pending',
      created_us: this.uniqueCreationTime(),
      username: spec.username,
      repository: spec.repository,
      result: spec.repository === null ? null : {alias: spec.repository},
    })
    this.events.publish(toWireJob(row, true))
    this.queue.push({jobId, run: spec.run, username: spec.username})
    this.pump()
    return row
  }

  /**
   * Cancels a pending or running job. A queued one ends at once; a running one is signalled and
   * ends `cancelled` once its code has stopped and rolled back. A job row no worker owns (seeded,
   * or left by an earlier process) is ended at once.
   */
  cancel(row: JobRow): void {
    const queuedAt = this.queue.findIndex((job) => job.jobId === row.job_id)
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1)
      this.finish(row.job_id, {status: 'cancelled', error: null})
      return
    }
    const running = this.running.get(row.job_id)
    if (running) {
      running.controller.abort(new Error(CANCELLED_DURING_EXECUTION))
      return
    }
    this.finish(row.job_id, {status: 'cancelled', error: row.status === 'running' ? CANCELLED_DURING_EXECUTION : null})
  }

  /** The row with the job's live progress while it runs here; other rows as they are. */
  liveRow(row: JobRow): JobRow {
    const running = this.running.get(row.job_id)
    if (!running || row.status !== 'running') return row
    return {...row, progress: running.progress, current_phase: running.phase, phase_detail: running.detail, updated_us: running.lastChangeUs}
  }

  /** Pids of live processes started by running jobs (all of them, or one job's). */
  childPids(jobId?: string): number[] {
    const groups = new Set<number>()
    for (const job of this.running.values()) {
      if (jobId === undefined || job.jobId === jobId) for (const group of job.processGroups) groups.add(group)
    }
    return livePidsInGroups(groups)
  }

  /** Stops taking work, cancels what is queued and running, and waits for the running jobs to end. */
  async shutdown(): Promise<void> {
    this.stopping = true
    for (const queued of this.queue.splice(0)) this.finish(queued.jobId, {status: 'cancelled', error: CANCELLED_BY_SHUTDOWN})
    const running = [...this.running.values()]
    for (const job of running) job.controller.abort(new ShutdownError(CANCELLED_BY_SHUTDOWN))
    await Promise.all(running.map((job) => job.finished))
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.options.workers && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedJob
      const running = new RunningJob(next.jobId)
      this.running.set(next.jobId, running)
      running.finished = this.execute(next, running)
    }
  }

  private async execute(queued: QueuedJob, job: RunningJob): Promise<void> {
    const started = this.store.update(job.jobId, {status: 'running', started_us: nowMicros(), progress: RUNNING_START_PROGRESS, updated_us: job.lastChangeUs})
    if (started) this.events.publish(toWireJob(started, true))
    try {
      const result = await queued.run(this.contextFor(job, queued.username))
      this.finish(job.jobId, {status: 'completed', progress: 100, result: {...this.initialResult(job.jobId), ...result}, error: null})
    } catch (error) {
      const {signal} = job.controller
      if (signal.aborted) {
        const reason = signal.reason instanceof ShutdownError ? CANCELLED_BY_SHUTDOWN : CANCELLED_DURING_EXECUTION
        this.finish(job.jobId, {status: 'cancelled', progress: job.progress, error: reason})
      } else {
        const message = redactUrls(error instanceof Error ? error.message : String(error))
        this.finish(job.jobId, {status: 'failed', progress: job.progress, error: message, result: {...this.initialResult(job.jobId), success: false, error: message}})
      }
    } finally {
      job.clearTimers()
      this.running.delete(job.jobId)
      this.pump()
    }
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

  private async checkpoint(job: RunningJob): Promise<void> {
    const {signal} = job.controller
    signal.throwIfAborted()
    // Yield to the event loop between batches even without a throttle, so HTTP stays responsive.
    await (this.options.throttleMs > 0 ? delay(this.options.throttleMs, undefined, {signal}) : new Promise((resolve) => setImmediate(resolve)))
    signal.throwIfAborted()
  }

  private async runJobGit(job: RunningJob, args: string[], options: GitCallOptions = {}): Promise<string> {
    return runGit(args, {
      cwd: options.cwd,
      signal: options.ignoreCancellation ? undefined : job.controller.signal,
      onStderrLine: options.onStderrLine,
      onSpawn: (pgid) => {
        job.processGroups.add(pgid)
        this.db.prepare('INSERT OR REPLACE INTO job_processes (pgid, job_id) VALUES (?, ?)').run(pgid, job.jobId)
      },
      onExit: (pgid) => {
        job.processGroups.delete(pgid)
        this.db.prepare('DELETE FROM job_processes WHERE pgid = ?').run(pgid)
      },
    })
  }

  private report(job: RunningJob, update: ProgressUpdate): void {
    if (job.controller.signal.aborted) return
    const progress = update.progress === undefined ? job.progress : Math.max(0, Math.min(100, Math.round(update.progress)))
    const phase = update.phase === undefined ? job.phase : update.phase
    const detail = update.detail === undefined ? job.detail : update.detail
    if (progress === job.progress && phase === job.phase && detail === job.detail) return
    Object.assign(job, {progress, phase, detail, lastChangeUs: nowMicros()})
    job.eventTimer ??= setTimeout(() => this.publishProgress(job), PROGRESS_EVENT_INTERVAL_MS)
    const sinceWriteMs = Date.now() - job.lastWriteMs
    if (sinceWriteMs >= PROGRESS_WRITE_INTERVAL_MS) this.writeProgress(job)
    else job.writeTimer ??= setTimeout(() => this.writeProgress(job), PROGRESS_WRITE_INTERVAL_MS - sinceWriteMs)
  }

  private publishProgress(job: RunningJob): void {
    job.eventTimer = undefined
    const row = this.store.get(job.jobId)
    if (row && this.running.has(job.jobId)) this.events.publish(toWireJob(this.liveRow(row), true))
  }

  private writeProgress(job: RunningJob): void {
    clearTimeout(job.writeTimer)
    job.writeTimer = undefined
    job.lastWriteMs = Date.now()
    this.store.update(job.jobId, {progress: job.progress, current_phase: job.phase, phase_detail: job.detail, updated_us: job.lastChangeUs})
  }

  /** Terminal states are written and announced at once. */
  private finish(jobId: string, outcome: {status: string; error: string | null; progress?: number; result?: Record<string, unknown>}): void {
    const now = nowMicros()
    const row = this.store.update(jobId, {...outcome, completed_us: now, updated_us: now, current_phase: null, phase_detail: null})
    if (row) this.events.publish(toWireJob(row, true))
  }

  private initialResult(jobId: string): Record<string, unknown> {
    const row = this.store.get(jobId)
    return row?.result ? (JSON.parse(row.result) as Record<string, unknown>) : {}
  }

  /** Creation times are unique and increasing, so "newest first" is the submission order. */
  private uniqueCreationTime(): number {
    this.lastCreatedUs = Math.max(nowMicros(), this.lastCreatedUs + 1)
    return this.lastCreatedUs
  }
}
