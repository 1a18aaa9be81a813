import type {StorageMonitor} from '../db/storage-monitor.js'
import type {JobChanges} from './job-store.js'

import {storageFailureMessage} from '../db/storage-errors.js'
import {redactUrls} from '../repos/layout.js'
import {type JobRow} from './job-row.js'

/** A cancel asked for by a user or by shutdown: the job ends `cancelled` with this message. */
export class CancelRequest extends Error {}

/** The terminal state a job ends in. */
export interface Ending {
  error: null | string
  progress: number
  result?: Record<string, unknown>
  status: string
}

/** The columns a terminal state sets. */
export function endingChanges(ending: Ending, atUs: number): JobChanges {
  return {...ending, completed_us: atUs, updated_us: atUs, current_phase: null, phase_detail: null}
}

/** The row as it is once the ending is written: what readers see while storage refuses it. */
export function endedRow(row: JobRow, ending: Ending, atUs: number): JobRow {
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

/** How a job that did not complete stopped: the signal it ran under, where it got to, what it threw. */
export interface Stop {
  error: unknown
  /** What `result` held from the start (`{alias}`). */
  initialResult: Record<string, unknown>
  progress: number
  signal: AbortSignal
}

/** Cancelled when asked to; failed otherwise, with the error that stopped the job (a storage error named as such). */
export function unsuccessfulEnding({signal, progress, initialResult, error}: Stop, storage: StorageMonitor): Ending {
  if (signal.reason instanceof CancelRequest) return {status: 'cancelled', progress, error: signal.reason.message}
  const failure: unknown = signal.aborted ? signal.reason : error
  storage.noteFailure(failure)
  const message = redactUrls(
    storageFailureMessage(failure) ?? (failure instanceof Error ? failure.message : String(failure)),
  )
  return {
    status: 'failed',
    progress,
    error: message,
    result: {...initialResult, success: false, error: message},
  }
}
