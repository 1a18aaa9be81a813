import type {ProgressUpdate} from './job-context.js'

import {nowMicros} from '../time.js'
import {type JobRow} from './job-row.js'

/** A running job starts at 10 %, as on the real server. */
export const RUNNING_START_PROGRESS = 10
const PROGRESS_WRITE_INTERVAL_MS = 1000
/** Progress events are coalesced to at most one per job per this interval (well under 100 ms). */
const PROGRESS_EVENT_INTERVAL_MS = 40

/** Where a running job's progress goes: to watchers at once (coalesced), to storage about once a second. */
export interface ProgressOutlets {
  announce(job: RunningJob): void
  write(job: RunningJob): void
}

/** State of one job while it runs; the source of truth for its progress until it ends. */
export class RunningJob {
  readonly controller = new AbortController()
  detail: null | string = null
  finished: Promise<void> = Promise.resolve()
  lastChangeUs = nowMicros()
  phase: null | string = null
  readonly processGroups = new Set<number>()
  progress = RUNNING_START_PROGRESS
  private eventTimer: NodeJS.Timeout | undefined
  private lastWriteMs = Date.now()
  private writeTimer: NodeJS.Timeout | undefined

  constructor(
    readonly jobId: string,
    /** The row as last stored (with its status); progress columns are this object's. */
    public row: JobRow,
    private readonly outlets: ProgressOutlets,
  ) {}

  clearTimers(): void {
    clearTimeout(this.writeTimer)
    clearTimeout(this.eventTimer)
    this.writeTimer = undefined
    this.eventTimer = undefined
  }

  /** The given row of this job with its live progress. */
  live(row: JobRow): JobRow {
    return {...row, ...this.progressColumns()}
  }

  /** The progress columns as they are now. */
  progressColumns(): Pick<JobRow, 'current_phase' | 'phase_detail' | 'progress' | 'updated_us'> {
    return {
      progress: this.progress,
      current_phase: this.phase,
      phase_detail: this.detail,
      updated_us: this.lastChangeUs,
    }
  }

  /** Takes what the job's code reports; ignored once the job is stopping. */
  report(update: ProgressUpdate): void {
    if (this.controller.signal.aborted) return
    const progress =
      update.progress === undefined ? this.progress : Math.max(0, Math.min(100, Math.round(update.progress)))
    const phase = update.phase === undefined ? this.phase : update.phase
    const detail = update.detail === undefined ? this.detail : update.detail
    if (progress === this.progress && phase === this.phase && detail === this.detail) return
    Object.assign(this, {progress, phase, detail, lastChangeUs: nowMicros()})
    this.eventTimer ??= setTimeout(() => this.announce(), PROGRESS_EVENT_INTERVAL_MS)
    const sinceWriteMs = Date.now() - this.lastWriteMs
    if (sinceWriteMs >= PROGRESS_WRITE_INTERVAL_MS) this.writeProgress()
    else this.writeTimer ??= setTimeout(() => this.writeProgress(), PROGRESS_WRITE_INTERVAL_MS - sinceWriteMs)
  }

  private announce(): void {
    this.eventTimer = undefined
    this.outlets.announce(this)
  }

  private writeProgress(): void {
    clearTimeout(this.writeTimer)
    this.writeTimer = undefined
    this.lastWriteMs = Date.now()
    this.outlets.write(this)
  }
}
