/**
 * History statistics over a set of jobs: counts by status and type, success rate, durations,
 * queue waits, grouped failure reasons and a timeline. The shape is what `jobs stats --json`
 * prints. Percentiles are nearest-rank (the smallest value with at least p % of the values at or
 * below it): always a value that was measured, never an interpolation.
 */

import type {Job} from '../jobs/job.js'

import {newestFirst} from '../jobs/job.js'
import {type ErrorGroup, topErrors} from './error-groups.js'
import {type BucketUnit, buildTimeline, outcomeOf, type TimelineBucket} from './timeline.js'

export interface TypeStats {
  count: number
  duration_p50_s: null | number
  duration_p95_s: null | number
  failed: number
  success_rate: null | number
}

export interface JobStats {
  by_status: Record<string, number>
  by_type: Record<string, TypeStats>
  /** False when the server's paging hid older jobs of the window. */
  complete: boolean
  duration: {max_s: null | number; p50_s: null | number; p95_s: null | number}
  queue_wait: {p50_s: null | number; p95_s: null | number}
  /** How many jobs were counted. */
  sample: number
  since: string
  success_rate: null | number
  timeline: TimelineBucket[]
  timeline_unit: BucketUnit
  top_errors: ErrorGroup[]
  until: string
}

export interface StatsWindow {
  since: Date
  until: Date
}

/** Nearest-rank percentile of values sorted ascending; null for none. */
export function percentile(sortedAscending: readonly number[], p: number): null | number {
  if (sortedAscending.length === 0) return null
  const rank = Math.ceil((p / 100) * sortedAscending.length)
  return sortedAscending[Math.min(Math.max(rank, 1), sortedAscending.length) - 1]
}

/** Seconds from one timestamp to a later one; null when either is missing, unreadable or the order is wrong. */
function secondsBetween(from: null | string, to: null | string): null | number {
  if (from === null || to === null) return null
  const ms = Date.parse(to) - Date.parse(from)
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null
}

/** Run time of a job that has started and ended. */
export function durationSeconds(job: Job): null | number {
  return secondsBetween(job.started_at, job.completed_at)
}

/** Time a job waited in the queue before it started. */
export function queueWaitSeconds(job: Job): null | number {
  return secondsBetween(job.created_at, job.started_at)
}

function ascending(values: Iterable<null | number>): number[] {
  return [...values].filter((value): value is number => value !== null).sort((a, b) => a - b)
}

/** Completed (partial results included) over completed plus failed; null when neither happened. */
function successRate(jobs: readonly Job[]): null | number {
  let completed = 0
  let failed = 0
  for (const job of jobs) {
    const outcome = outcomeOf(job.status)
    if (outcome === 'completed') completed++
    else if (outcome === 'failed') failed++
  }

  return completed + failed === 0 ? null : completed / (completed + failed)
}

function typeStats(jobs: readonly Job[]): TypeStats {
  const durations = ascending(jobs.map((job) => durationSeconds(job)))
  return {
    count: jobs.length,
    failed: jobs.filter((job) => job.status === 'failed').length,
    success_rate: successRate(jobs),
    duration_p50_s: percentile(durations, 50),
    duration_p95_s: percentile(durations, 95),
  }
}

function countBy(jobs: readonly Job[], key: (job: Job) => string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const job of jobs) counts[key(job)] = (counts[key(job)] ?? 0) + 1
  return counts
}

function groupBy(jobs: readonly Job[], key: (job: Job) => string): Map<string, Job[]> {
  const groups = new Map<string, Job[]>()
  for (const job of jobs) {
    const group = groups.get(key(job))
    if (group) group.push(job)
    else groups.set(key(job), [job])
  }

  return groups
}

/** Keys in code-point order, so the JSON reads the same on every run. */
function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** The statistics of `jobs` (already filtered to the window) over `window`. */
export function computeStats(
  jobs: readonly Job[],
  window: StatsWindow & {complete: boolean; unit: BucketUnit},
): JobStats {
  const newest = [...jobs].sort(newestFirst)
  const durations = ascending(newest.map((job) => durationSeconds(job)))
  const waits = ascending(newest.map((job) => queueWaitSeconds(job)))
  return {
    sample: newest.length,
    complete: window.complete,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    by_status: sortedRecord(Object.entries(countBy(newest, (job) => job.status))),
    by_type: sortedRecord([...groupBy(newest, (job) => job.job_type)].map(([type, group]) => [type, typeStats(group)])),
    success_rate: successRate(newest),
    duration: {
      p50_s: percentile(durations, 50),
      p95_s: percentile(durations, 95),
      max_s: durations.at(-1) ?? null,
    },
    queue_wait: {p50_s: percentile(waits, 50), p95_s: percentile(waits, 95)},
    top_errors: topErrors(newest),
    timeline: buildTimeline(newest, window.since, window.until, window.unit),
    timeline_unit: window.unit,
  }
}
