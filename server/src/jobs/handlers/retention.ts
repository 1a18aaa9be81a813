import type {JobStore} from '../job-store.js'

import {nowMicros} from '../../time.js'

export const HOUR_US = 3600 * 1_000_000

/** Deletes finished jobs older than the retention; returns how many went. */
export function deleteExpiredJobs(store: JobStore, maxAgeHours: number): number {
  return store.deleteFinishedBefore(nowMicros() - maxAgeHours * HOUR_US)
}

export function cleanupMessage(count: number): string {
  return `Cleaned up ${count} old job${count === 1 ? '' : 's'}`
}
