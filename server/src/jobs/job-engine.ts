import {randomUUID} from 'node:crypto'
import {hostname} from 'node:os'
import {setTimeout as delay} from 'node:timers/promises'

import type {StorageMonitor} from '../db/storage-monitor.js'
import type {Awaitable, JobStorage, ProcessStorage, StoredJobRow} from '../db/storage.js'
import type {JobHandler} from './handlers/job-handlers.js'
import type {GitCallOptions, JobContext} from './job-context.js'
import type {JobEvents} from './job-events.js'

import {livePidsInGroups} from '../git/process-groups.js'
import {runGit} from '../git/run-git.js'
import {nowMicros} from '../time.js'
import {EndingWriter} from './ending-writer.js'
import {CancelRequest, unsuccessfulEnding} from './job-ending.js'
import {type JobRow, toWireJob} from './job-row.js'
import {RunningJob} from './running-job.js'

export const CANCELLED_DURING_EXECUTION = 'Job cancelled during execution'
export const CANCELLED_BY_SHUTDOWN = 'Cancelled by server shutdown'

export interface JobSpec {
  /** What only one pending or running job may hold at a time (the 409 rule); none when absent. */
  activeKey?: null | string
  jobId?: string
  operationType: string
  /** What the job's handler (looked up by operation type) runs it with, on whichever node takes it. */
  params: object
  /** The alias the job works on; it is also put into `result.alias` from the start. */
  repository: null | string
  username: string
}

export interface EngineOptions {
  /** A clone or fetch silent this long is stopped and fails its job; 0 never stops one. */
  gitStallTimeoutMs: number
  throttleMs: number
  workers: number
}

/** How a node tells the others (nothing to tell for a single server). */
export interface PeerSignals {
  /** Another node runs the job: its cancel was recorded, this tells that node now. */
  cancelRequested(jobId: string): void
  /** A job was recorded: free nodes may claim it. */
  jobPending(): void
}

/** What the engine works with: its job rows, the handlers, the event fan-out, the storage watch. */
export interface EngineParts {
  events: JobEvents
  handlers: ReadonlyMap<string, JobHandler>
  /** The name this engine runs jobs under (the `node` column). */
  node: string
  options: EngineOptions
  peers?: PeerSignals
  processes: ProcessStorage
  storage: StorageMonitor
  store: JobStorage
}

/**
 * A bounded pool of job slots over the jobs stored as `pending`: a free slot claims the oldest
 * one (on PostgreSQL, with every other node's slots competing for it), runs it `running` with the
 * handler of its operation type, and ends it in exactly one terminal state. The heavy lifting is
 * done by git child processes and short transactions. A storage error in a job's own
 * bookkeeping fails that job, never the process.
 */
export class JobEngine {
  private claimAgain = false
  private claiming: Promise<void> | undefined
  private readonly endings: EndingWriter
  private readonly events: JobEvents
  private readonly handlers: ReadonlyMap<string, JobHandler>
  private lastCreatedUs = 0
  private readonly node: string
  private readonly options: EngineOptions
  private readonly peers: PeerSignals | undefined
  private readonly processes: ProcessStorage
  private readonly running = new Map<string, RunningJob>()
  private stopping = false
  private readonly storage: StorageMonitor
  private readonly store: JobStorage

  constructor({store, processes, events, handlers, node, peers, storage, options}: EngineParts) {
    this.store = store
    this.processes = processes
    this.events = events
    this.handlers = handlers
    this.node = node
    this.peers = peers
    this.storage = storage
    this.options = options
    this.endings = new EndingWriter({store, events, storage})
  }

  /**
   * Cancels a pending or running job. A pending one ends at once (unless a slot took it that
   * instant: then as a running one); one running here is signalled and ends `cancelled` once its
   * code has stopped and rolled back; one running on another node is asked to stop there. A job
   * row no worker owns (seeded, or left by an earlier process) is ended at once.
   */
  async cancel(row: JobRow): Promise<void> {
    // Ended already; only storage has not taken its terminal state yet.
    if (this.endings.unwrittenRow(row.job_id)) return
    let current: StoredJobRow | undefined = row
    if (row.status === 'pending') {
      const ended = await this.store.cancelPending(row.job_id, nowMicros())
      if (ended) return this.events.publish(toWireJob(ended, true))
      current = await this.store.get(row.job_id)
      if (!current || current.status !== 'running') return
    }

    const running = this.running.get(row.job_id)
    if (running) return running.controller.abort(new CancelRequest(CANCELLED_DURING_EXECUTION))
    if (this.peers && current.node && current.node !== this.node) {
      await this.store.requestCancel(row.job_id, nowMicros())
      return this.peers.cancelRequested(row.job_id)
    }

    await this.endings.finish(row.job_id, {
      status: 'cancelled',
      error: current.status === 'running' ? CANCELLED_DURING_EXECUTION : null,
      progress: current.progress,
    })
  }

  /** Stops a job running here whose cancel was asked for on another node; false when it does not run here. */
  cancelHere(jobId: string): boolean {
    const running = this.running.get(jobId)
    if (!running) return false
    running.controller.abort(new CancelRequest(CANCELLED_DURING_EXECUTION))
    return true
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

  /** Fills free slots with pending jobs; calls while a round runs make it go round once more. */
  pump(): void {
    if (this.claiming) {
      this.claimAgain = true
      return
    }

    this.claiming = this.claimWhileFree().finally(() => {
      this.claiming = undefined
      if (this.claimAgain) {
        this.claimAgain = false
        this.pump()
      }
    })
  }

  /** The jobs running here. */
  runningIds(): string[] {
    return [...this.running.keys()]
  }

  /**
   * Stops taking work, cancels what runs here and waits for it to end. A single server also
   * cancels what is pending (it was the only one to run it); a node leaves pending jobs to the
   * others. Terminal states storage still refuses are lost; the next start marks those jobs orphaned.
   */
  async shutdown(): Promise<void> {
    this.stopping = true
    await this.claiming
    if (!this.peers) await this.cancelPendingForShutdown()
    const running = [...this.running.values()]
    for (const job of running) job.controller.abort(new CancelRequest(CANCELLED_BY_SHUTDOWN))
    await Promise.all(running.map((job) => job.finished))
    await this.endings.stop()
  }

  /** Records the job as pending and wakes a free slot, here or (through the peers) on another node. */
  async submit(spec: JobSpec): Promise<JobRow> {
    const row = await this.store.insert({
      job_id: spec.jobId ?? randomUUID(),
      operation_type: spec.operationType,
      status: 'pending',
      created_us: this.uniqueCreationTime(),
      username: spec.username,
      repository: spec.repository,
      result: spec.repository === null ? null : {alias: spec.repository},
      params: spec.params,
      active_key: spec.activeKey ?? null,
    })
    this.events.publish(toWireJob(row, true))
    this.peers?.jobPending()
    this.pump()
    return row
  }

  /** Every runnable pending job, read whole before any is ended, then each ended once (a refused write is retried by the ending writer, not here). */
  private async cancelPendingForShutdown(): Promise<void> {
    const page = 500
    const pending: StoredJobRow[] = []
    for (let offset = 0; ; offset += page) {
      const {rows} = await this.store.list({status: 'pending', limit: page, offset})
      pending.push(...(rows as StoredJobRow[]).filter((row) => row.params !== null && row.params !== undefined))
      if (rows.length < page) break
    }

    for (const row of pending)
      await this.endings.settle(row, {status: 'cancelled', error: CANCELLED_BY_SHUTDOWN, progress: row.progress})
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

  private async claimWhileFree(): Promise<void> {
    while (!this.stopping && this.running.size < this.options.workers) {
      let claimed: StoredJobRow | undefined
      try {
        claimed = await this.store.claimNext(this.node, nowMicros())
      } catch (error) {
        // Storage refused the claim: the job stays pending for the next wake-up.
        this.storage.noteFailure(error)
        return
      }

      if (!claimed) return
      this.start(claimed)
    }
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
  private async execute(job: RunningJob, run: () => Promise<Record<string, unknown>>): Promise<void> {
    const initialResult = job.row.repository === null ? {} : {alias: job.row.repository}
    try {
      const result = await run()
      await this.endings.settle(job.row, {
        status: 'completed',
        progress: 100,
        result: {...initialResult, ...result},
        error: null,
      })
    } catch (error) {
      const stop = {signal: job.controller.signal, progress: job.progress, initialResult, error}
      await this.endings.settle(job.row, unsuccessfulEnding(stop, this.storage))
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

  private async runJobGit(job: RunningJob, args: string[], options: GitCallOptions = {}): Promise<string> {
    return runGit(args, {
      cwd: options.cwd,
      signal: options.ignoreCancellation ? undefined : job.controller.signal,
      onStderrLine: options.onStderrLine,
      stallTimeoutMs:
        options.watchForStalls && this.options.gitStallTimeoutMs > 0 ? this.options.gitStallTimeoutMs : undefined,
      onSpawn: (pgid) => {
        job.processGroups.add(pgid)
        this.writeForJob(job, () => this.processes.add({pgid, job_id: job.jobId, node: this.node, host: hostname()}))
      },
      onExit: (pgid) => {
        job.processGroups.delete(pgid)
        this.writeForJob(job, () => this.processes.remove(pgid, this.node))
      },
    })
  }

  /** Runs a claimed job with its operation's handler; a job no handler knows fails at once. */
  private start(row: StoredJobRow): void {
    const running = new RunningJob(row.job_id, row, {
      announce: (job) => {
        if (this.running.has(job.jobId)) this.events.publish(toWireJob(this.liveRow(job.row), true))
      },
      write: (job) => this.writeForJob(job, () => this.store.update(job.jobId, job.progressColumns())),
    })
    this.running.set(running.jobId, running)
    this.events.publish(toWireJob(row, true))
    const handler = this.handlers.get(row.operation_type)
    const params = JSON.parse(row.params ?? '{}') as Record<string, unknown>
    const context = this.contextFor(running, row.username)
    running.finished = this.execute(running, async () => {
      if (!handler) throw new Error(`No handler for operation type '${row.operation_type}'`)
      return handler(context, params)
    })
  }

  /** Creation times are unique and increasing, so "newest first" is the submission order. */
  private uniqueCreationTime(): number {
    this.lastCreatedUs = Math.max(nowMicros(), this.lastCreatedUs + 1)
    return this.lastCreatedUs
  }

  /** One of a running job's own writes (progress, process groups): a failure fails the job, it never throws. */
  private writeForJob(job: RunningJob, write: () => Awaitable<unknown>): void {
    let written: Awaitable<unknown>
    try {
      written = write()
    } catch (error) {
      this.failJob(job, error)
      return
    }

    if (written instanceof Promise) written.catch((error: unknown) => this.failJob(job, error))
  }
}
