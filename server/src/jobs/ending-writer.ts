import type {StorageMonitor} from '../db/storage-monitor.js'
import type {JobStorage} from '../db/storage.js'
import type {JobEvents} from './job-events.js'
import type {JobChanges} from './job-store.js'

import {nowMicros} from '../time.js'
import {endedRow, type Ending, endingChanges} from './job-ending.js'
import {type JobRow, toWireJob} from './job-row.js'

/** How often a terminal state that storage refused is written again. */
const UNWRITTEN_RETRY_MS = 1000

/** What the writer works with: the job rows, the event fan-out, the storage watch. */
export interface EndingWriterParts {
  events: JobEvents
  storage: StorageMonitor
  store: JobStorage
}

/**
 * Writes and announces the terminal states of jobs. One that storage refuses is announced all the
 * same, shown to readers in its ended form, and written again every second until storage takes it.
 */
export class EndingWriter {
  private readonly events: JobEvents
  private retryTimer: NodeJS.Timeout | undefined
  private readonly storage: StorageMonitor
  private readonly store: JobStorage
  /** Terminal states storage refused, by job. */
  private readonly unwritten = new Map<string, {changes: JobChanges; row: JobRow}>()

  constructor({store, events, storage}: EndingWriterParts) {
    this.store = store
    this.events = events
    this.storage = storage
  }

  /** Written and announced at once; a storage error goes to the caller. */
  async finish(jobId: string, ending: Ending): Promise<void> {
    const row = await this.store.update(jobId, endingChanges(ending, nowMicros()))
    if (row) this.events.publish(toWireJob(row, true))
  }

  /** Like finish, but never throws: a terminal state storage refuses is announced, kept and written again later. */
  async settle(row: JobRow, ending: Ending): Promise<void> {
    const atUs = nowMicros()
    const changes = endingChanges(ending, atUs)
    try {
      const stored = await this.store.update(row.job_id, changes)
      if (stored) this.events.publish(toWireJob(stored, true))
    } catch (error) {
      this.storage.noteFailure(error)
      const ended = endedRow(row, ending, atUs)
      this.unwritten.set(row.job_id, {row: ended, changes})
      this.events.publish(toWireJob(ended, true))
      this.retryTimer ??= setInterval(() => this.writeUnwritten(), UNWRITTEN_RETRY_MS).unref()
    }
  }

  /** Writes what is still unwritten once more, then stops retrying: what storage still refuses is lost. */
  async stop(): Promise<void> {
    await this.writeUnwritten()
    clearInterval(this.retryTimer)
  }

  /** The job's ended row while storage has not taken it yet. */
  unwrittenRow(jobId: string): JobRow | undefined {
    return this.unwritten.get(jobId)?.row
  }

  private async writeUnwritten(): Promise<void> {
    for (const [jobId, {changes}] of this.unwritten) {
      try {
        await this.store.update(jobId, changes)
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
