/**
 * Jobs per hour, day or week by outcome, over the stats window. The bucket size keeps the number
 * of buckets small enough to chart: hours up to two days, days up to 90 days, weeks beyond.
 * Buckets are aligned to UTC (weeks start on Monday), so two runs over the same jobs agree.
 */

import type {Job} from '../jobs/job.js'

export type Outcome = 'cancelled' | 'completed' | 'failed' | 'other'
/** Display order of the outcomes: what went well first. */
export const OUTCOMES: readonly Outcome[] = ['completed', 'failed', 'cancelled', 'other']

export type BucketUnit = 'day' | 'hour' | 'week'

export interface TimelineBucket extends Record<Outcome, number> {
  /** ISO 8601 UTC start of the bucket. */
  start: string
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const WEEK = 7 * DAY
const UNIT_MS: Readonly<Record<BucketUnit, number>> = {hour: HOUR, day: DAY, week: WEEK}
/** 1970-01-01 was a Thursday: Mondays are 4 days later modulo a week. */
const MONDAY_OFFSET = 4 * DAY

/** The outcome a status counts as; a partial result is a completion, anything not ended is `other`. */
export function outcomeOf(status: string): Outcome {
  if (status === 'completed' || status === 'completed_partial') return 'completed'
  if (status === 'failed' || status === 'cancelled') return status
  return 'other'
}

export function bucketUnit(since: Date, until: Date): BucketUnit {
  const span = until.getTime() - since.getTime()
  if (span <= 2 * DAY) return 'hour'
  if (span <= 90 * DAY) return 'day'
  return 'week'
}

function bucketStart(time: number, unit: BucketUnit): number {
  const size = UNIT_MS[unit]
  const offset = unit === 'week' ? MONDAY_OFFSET : 0
  return Math.floor((time - offset) / size) * size + offset
}

/** One bucket per unit from the one holding `since` to the one holding `until`, empty ones included. */
export function buildTimeline(jobs: readonly Job[], since: Date, until: Date, unit: BucketUnit): TimelineBucket[] {
  const size = UNIT_MS[unit]
  const first = bucketStart(since.getTime(), unit)
  const last = bucketStart(until.getTime(), unit)
  const buckets: TimelineBucket[] = []
  for (let start = first; start <= last; start += size) {
    buckets.push({start: new Date(start).toISOString(), completed: 0, failed: 0, cancelled: 0, other: 0})
  }

  for (const job of jobs) {
    const index = Math.floor((bucketStart(Date.parse(job.created_at), unit) - first) / size)
    const bucket = buckets[index]
    if (bucket) bucket[outcomeOf(job.status)]++
  }

  return buckets
}
