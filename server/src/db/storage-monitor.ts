import {rmSync, statfsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {StorageError, storageErrorSummary, storageFault} from './storage-errors.js'

/**
 * Less free space than this counts as full. SQLite can go on taking small writes into WAL frames
 * it already has and then fail in the middle of a job; git needs room for objects and files.
 * Refusing new work below the reserve makes the failure early, clear and the same every time.
 */
export const STORAGE_RESERVE_BYTES = 1024 * 1024
/** After a failure, a probe write tells whether storage is back: at the next check, then at most once per interval. */
const PROBE_INTERVAL_MS = 1000
const PROBE_BYTES = 4096

/**
 * Watches the data dir's storage: its free space (read on every check: a statfs costs
 * microseconds) and the last storage failure anything reported. A failure holds until a probe
 * write succeeds, so quota and I/O errors, which free space does not show, recover as well.
 */
export class StorageMonitor {
  private failure: StorageError | undefined
  private lastProbeMs = 0

  constructor(private readonly dataDir: string) {}

  /** Throws the current problem: for work that would only fail halfway. */
  assertWritable(): void {
    const problem = this.problem()
    if (problem) throw problem
  }

  /** Records a full-disk or I/O error met anywhere; other errors (and busy locks) are ignored. */
  noteFailure(error: unknown): void {
    if (error instanceof StorageError) return
    const fault = storageFault(error)
    if (fault !== 'full' && fault !== 'io') return
    this.failure = new StorageError(fault, storageErrorSummary(error))
  }

  /** What is wrong with the data dir's storage now, or null when it can be written. */
  problem(): null | StorageError {
    const space = this.spaceProblem()
    if (space) return space
    if (this.failure && Date.now() - this.lastProbeMs >= PROBE_INTERVAL_MS) this.probe()
    return this.failure ?? null
  }

  private probe(): void {
    const path = join(this.dataDir, '.storage-probe')
    try {
      writeFileSync(path, Buffer.alloc(PROBE_BYTES), {flush: true})
      this.failure = undefined
    } catch (error) {
      this.noteFailure(error)
    } finally {
      this.lastProbeMs = Date.now()
      rmSync(path, {force: true})
    }
  }

  private spaceProblem(): null | StorageError {
    try {
      const stats = statfsSync(this.dataDir)
      if (stats.bavail * stats.bsize >= STORAGE_RESERVE_BYTES) return null
      return new StorageError(
        'full',
        `less than ${STORAGE_RESERVE_BYTES / (1024 * 1024)} MiB free on the data dir's filesystem`,
      )
    } catch (error) {
      return new StorageError('io', `cannot inspect the data dir's filesystem (${storageErrorSummary(error)})`)
    }
  }
}
