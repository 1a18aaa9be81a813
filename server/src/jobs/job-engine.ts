import {randomUUID} from 'node:crypto'
import {setTimeout as delay} from 'node:timers/promises'

import type {Db} from '../db/database.js'
import type {StorageMonitor} from '../db/storage-monitor.js'
import type {GitCallOptions, JobContext, JobRun} from './job-context.js'
import type {JobEvents} from './job-events.js'
import type {JobStore} from './job-store.js'

import {livePidsInGroups} from '../git/process-groups.js'
import {runGit} from '../git/run-git.js'
import {nowMicros} from '../time.js'
import {EndingWriter} from './ending-writer.js'
import {CancelRequest, unsuccessfulEnding} from './job-ending.js'
import {type JobRow, toWireJob} from './job-row.js'
import {RUNNING_START_PROGRESS, RunningJob} from './running-job.js'

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
  private readonly endings: EndingWriter
  private readonly events: JobEvents
  private lastCreatedUs = 0
  private readonly options: EngineOptions
  private readonly queue: QueuedJob[] = []
  private readonly running = new Map<string, RunningJob>()
  private stopping = false
  private readonly storage: StorageMonitor
  private readonly store: JobStore

  constructor({db, store, events, storage, options}: EngineParts) {
    this.db = db
    this.store = store
    this.events = events
    this.storage = storage
    this.options = options
    this.endings = new EndingWriter({store, events, storage})
  }

  /**
   * Cancels a pending or running job. A queued one ends at once; a running one is signalled and
   * ends `cancelled` once its code has stopped and rolled back. A job row no worker owns (seeded,
   * or left by an earlier process) is ended at once.
   */
  cancel(row: JobRow): void {
    // Ended already; only storage has not taken its terminal state yet.
    if (this.endings.unwrittenRow(row.job_id)) return
    const queuedAt = this.queue.findIndex((job) => job.row.job_id === row.job_id)
    if (queuedAt !== -1) {
      // Written first: if storage refuses, the job stays queued and the caller gets the error.
      this.endings.finish(row.job_id, {status: 'cancelled', error: null, progress: row.progress})
      this.queue.splice(queuedAt, 1)
      return
    }

    const running = this.running.get(row.job_id)
    if (running) {
      running.controller.abort(new CancelRequest(CANCELLED_DURING_EXECUTION))
      return
    }

    this.endings.finish(row.job_id, {
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
    const unwritten = this.endings.unwrittenRow(row.job_id)
    if (unwritten) return unwritten
    const running = this.running.get(row.job_id)
    if (!running || row.status !== 'running') return row
    return running.live(row)
  }

  /**
   * Stops taking work, cancels what is queued and running, and waits for the running jobs to end.
   * Terminal states storage still refuses are lost; the next start marks those jobs orphaned.
   */
  async shutdown(): Promise<void> {
    this.stopping = true
    for (const queued of this.queue.splice(0))
      this.endings.settle(queued.row, {
        status: 'cancelled',
        error: CANCELLED_BY_SHUTDOWN,
        progress: queued.row.progress,
      })
    const running = [...this.running.values()]
    for (const job of running) job.controller.abort(new CancelRequest(CANCELLED_BY_SHUTDOWN))
    await Promise.all(running.map((job) => job.finished))
    this.endings.stop()
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
      report: (update) => job.report(update),
      checkpoint: () => this.checkpoint(job),
      git: (args, options) => this.runJobGit(job, args, options),
    }
  }

  /** Never rejects: whatever the job's code or storage throws ends in one terminal state. */
  private async execute(queued: QueuedJob, job: RunningJob): Promise<void> {
    try {
      this.markRunning(job)
      const result = await queued.run(this.contextFor(job, queued.row.username))
      this.endings.settle(job.row, {
        status: 'completed',
        progress: 100,
        result: {...queued.initialResult, ...result},
        error: null,
      })
    } catch (error) {
      const stop = {signal: job.controller.signal, progress: job.progress, initialResult: queued.initialResult, error}
      this.endings.settle(job.row, unsuccessfulEnding(stop, this.storage))
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

  private pump(): void {
    while (!this.stopping && this.running.size < this.options.workers && this.queue.length > 0) {
      const next = this.queue.shift() as QueuedJob
      const running = new RunningJob(next.row.job_id, next.row, {
        announce: (job) => {
          if (this.running.has(job.jobId)) this.events.publish(toWireJob(this.liveRow(job.row), true))
        },
        write: (job) => this.writeForJob(job, () => this.store.update(job.jobId, job.progressColumns())),
      })
      this.running.set(running.jobId, running)
      running.finished = this.execute(next, running)
    }
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

  /** Creation times are unique and increasing, so "newest first" is the submission order. */
  private uniqueCreationTime(): number {
    this.lastCreatedUs = Math.max(nowMicros(), this.lastCreatedUs + 1)
    return this.lastCreatedUs
  }

  /** One of a running job's own writes (progress, process groups): a failure fails the job, it never throws. */
  private writeForJob(job: RunningJob, write: () => void): void {
    try {
      write()
    } catch (error) {
      this.failJob(job, error)
    }
  }
}
