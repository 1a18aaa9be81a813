/**
 * `jobs stats` computed in SQL over the whole history: the same figures the CLI computes from a
 * listing (its `--json` shape), so the CLI can pass them through. Times are compared in whole
 * milliseconds, as the CLI reads the wire's timestamps; percentiles are nearest-rank (the
 * smallest value with at least p % of the values at or below it).
 */

import type {Db} from '../../db/database.js'
import type {Awaitable} from '../../db/storage.js'

import {type ErrorGroup, topErrorShapes} from './error-shapes.js'
import {
  type FiguresReader,
  type Selection,
  type Tally,
  type ValueCount,
  windowFigures,
  type WindowFigures,
  type WindowQuery,
} from './window-figures.js'

export interface StatsFilter {
  operationType?: string
  repository?: string
  sinceUs: number
  untilUs: number
  username?: string
  /** Set for non-admins: they only ever see their own jobs. */
  viewer?: string
}

type Seconds = null | number
type Outcome = 'cancelled' | 'completed' | 'failed' | 'other'
type BucketUnit = 'day' | 'hour' | 'week'
type TimelineBucket = Record<Outcome, number> & {start: string}

export interface TypeStats {
  count: number
  duration_p50_s: Seconds
  duration_p95_s: Seconds
  failed: number
  success_rate: Seconds
}

export interface JobStatsBody {
  by_status: Record<string, number>
  by_type: Record<string, TypeStats>
  complete: true
  duration: {max_s: Seconds; p50_s: Seconds; p95_s: Seconds}
  queue_wait: {p50_s: Seconds; p95_s: Seconds}
  sample: number
  since: string
  success_rate: Seconds
  timeline: TimelineBucket[]
  timeline_unit: BucketUnit
  top_errors: ErrorGroup[]
  until: string
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const UNIT_MS: Readonly<Record<BucketUnit, number>> = {hour: HOUR, day: DAY, week: 7 * DAY}
/** 1970-01-01 was a Thursday: weeks start on Monday, 4 days later modulo a week. */
const MONDAY_OFFSET = 4 * DAY

function outcomeOf(status: string): Outcome {
  if (status === 'completed' || status === 'completed_partial') return 'completed'
  if (status === 'failed' || status === 'cancelled') return status
  return 'other'
}

function bucketUnit(sinceMs: number, untilMs: number): BucketUnit {
  const span = untilMs - sinceMs
  if (span <= 2 * DAY) return 'hour'
  if (span <= 90 * DAY) return 'day'
  return 'week'
}

function bucketStart(timeMs: number, unit: BucketUnit): number {
  const offset = unit === 'week' ? MONDAY_OFFSET : 0
  return Math.floor((timeMs - offset) / UNIT_MS[unit]) * UNIT_MS[unit] + offset
}

function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

function successRate(completed: number, failed: number): Seconds {
  return completed + failed === 0 ? null : completed / (completed + failed)
}

/** The jobs the viewer may count; null when a non-admin filters on another user's name (nothing to see). */
function selectionOf(filter: StatsFilter): null | Selection {
  if (filter.viewer !== undefined && filter.username !== undefined && filter.viewer !== filter.username) return null
  return {owner: filter.viewer ?? filter.username, operationType: filter.operationType, repository: filter.repository}
}

/** How many jobs had each value (whole ms), ascending: the values sorted, run-length encoded. */
type Histogram = Array<{ms: number; n: number}>

/** Histograms per type of the value counts of every piece of the window. */
function histograms(counts: readonly ValueCount[]): Map<string, Histogram> {
  const byType = new Map<string, Map<number, number>>()
  for (const {grp, ms, n} of counts) {
    const values = byType.get(grp) ?? new Map<number, number>()
    byType.set(grp, values)
    values.set(ms, (values.get(ms) ?? 0) + n)
  }

  return new Map([...byType].map(([type, values]) => [type, toHistogram(values)]))
}

function toHistogram(values: Map<number, number>): Histogram {
  return [...values].map(([ms, n]) => ({ms, n})).sort((a, b) => a.ms - b.ms)
}

function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const counts = new Map<number, number>()
  for (const histogram of histograms) for (const {ms, n} of histogram) counts.set(ms, (counts.get(ms) ?? 0) + n)
  return toHistogram(counts)
}

/** Nearest-rank percentile in seconds, with the rank computed as the CLI computes it; null for none. */
function percentile(histogram: Histogram | undefined, p: number): Seconds {
  const total = (histogram ?? []).reduce((sum, {n}) => sum + n, 0)
  if (total === 0 || !histogram) return null
  const rank = Math.min(Math.max(Math.ceil((p / 100) * total), 1), total)
  let seen = 0
  for (const {ms, n} of histogram) {
    seen += n
    if (seen >= rank) return ms / 1000
  }

  return null
}

function timeline(rows: readonly Tally[], sinceMs: number, untilMs: number, unit: BucketUnit): TimelineBucket[] {
  const size = UNIT_MS[unit]
  const offset = unit === 'week' ? MONDAY_OFFSET : 0
  const first = bucketStart(sinceMs, unit)
  const buckets: TimelineBucket[] = []
  for (let start = first; start <= bucketStart(untilMs, unit); start += size) {
    buckets.push({start: new Date(start).toISOString(), completed: 0, failed: 0, cancelled: 0, other: 0})
  }

  for (const row of rows) {
    const bucket = buckets[(row.slot * size + offset - first) / size]
    if (bucket) bucket[outcomeOf(row.status)] += row.n
  }

  return buckets
}

const NOTHING: WindowFigures = {tallies: [], durations: [], waits: [], errors: []}

/** A stats window: where its timeline slots fall, and what to read (null: nothing can match). */
export interface StatsWindow {
  query: null | WindowQuery
  sinceMs: number
  unit: BucketUnit
  untilMs: number
}

export function statsWindow(filter: StatsFilter): StatsWindow {
  const sinceMs = Math.floor(filter.sinceUs / 1000)
  const untilMs = Math.floor(filter.untilUs / 1000)
  const unit = bucketUnit(sinceMs, untilMs)
  const selection = selectionOf(filter)
  const slots = {size: UNIT_MS[unit], offset: unit === 'week' ? MONDAY_OFFSET : 0}
  const query = selection === null ? null : {selection, sinceUs: filter.sinceUs, untilUs: filter.untilUs, slots}
  return {query, sinceMs, untilMs, unit}
}

/**
 * The `jobs stats --json` figures of the jobs in the window, read by `read` (whole hours from the
 * aggregates; `figuresFromRows` reads every job instead, the reference the aggregates must match).
 */
export function queryJobStats(db: Db, filter: StatsFilter, read: FiguresReader = windowFigures): JobStatsBody {
  const window = statsWindow(filter)
  return statsBody(window, window.query === null ? NOTHING : read(db, window.query))
}

/** The same, with the figures read by a store that may answer later (PostgreSQL). */
export async function readJobStats(
  filter: StatsFilter,
  read: (query: WindowQuery) => Awaitable<WindowFigures>,
): Promise<JobStatsBody> {
  const window = statsWindow(filter)
  return statsBody(window, window.query === null ? NOTHING : await read(window.query))
}

/** The body of the answer from the window's figures. */
export function statsBody({sinceMs, untilMs, unit}: StatsWindow, figures: WindowFigures): JobStatsBody {
  const counts = figures.tallies
  const durations = histograms(figures.durations)
  const overall = mergeHistograms(durations.values())
  const waits = mergeHistograms(histograms(figures.waits).values())
  const byStatus = new Map<string, number>()
  const byType = new Map<string, {completed: number; count: number; failed: number}>()
  let completed = 0
  let failed = 0
  for (const row of counts) {
    const status = row.status === 'pending' ? 'queued' : row.status
    byStatus.set(status, (byStatus.get(status) ?? 0) + row.n)
    const type = byType.get(row.type) ?? {count: 0, completed: 0, failed: 0}
    byType.set(row.type, type)
    type.count += row.n
    const outcome = outcomeOf(row.status)
    if (outcome === 'completed') type.completed += row.n
    if (row.status === 'failed') type.failed += row.n
    if (outcome === 'completed') completed += row.n
    if (outcome === 'failed') failed += row.n
  }

  return {
    sample: counts.reduce((sum, row) => sum + row.n, 0),
    complete: true,
    since: new Date(sinceMs).toISOString(),
    until: new Date(untilMs).toISOString(),
    by_status: sortedRecord(byStatus),
    by_type: sortedRecord(
      [...byType].map(([type, figures]): [string, TypeStats] => [
        type,
        {
          count: figures.count,
          failed: figures.failed,
          success_rate: successRate(figures.completed, figures.failed),
          duration_p50_s: percentile(durations.get(type), 50),
          duration_p95_s: percentile(durations.get(type), 95),
        },
      ]),
    ),
    success_rate: successRate(completed, failed),
    duration: {
      p50_s: percentile(overall, 50),
      p95_s: percentile(overall, 95),
      max_s: overall.length === 0 ? null : (overall.at(-1) as {ms: number}).ms / 1000,
    },
    queue_wait: {p50_s: percentile(waits, 50), p95_s: percentile(waits, 95)},
    top_errors: topErrorShapes(figures.errors),
    timeline: timeline(counts, sinceMs, untilMs, unit),
    timeline_unit: unit,
  }
}
