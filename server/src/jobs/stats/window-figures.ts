/**
 * The raw figures of a stats window, read in pieces: the whole hours from the per-hour aggregates
 * (`db/job-hour-stats.ts`), the part-hours at the window's edges from the jobs themselves (index
 * range scans). Both give the same kinds of rows, so the pieces add up to what one scan of every
 * job of the window would give.
 */

import type {Db} from '../../db/database.js'
import type {ErrorText} from './error-shapes.js'

import {durationMsSql, errorTextSql, HOUR_US, rollupFor, waitMsSql} from '../../db/job-hour-stats.js'

/** Who and what the window counts: the owner (set for non-admins), and the filters. */
export interface Selection {
  operationType?: string
  owner?: string
  repository?: string
}

/** Timeline slots: `slot * size + offset` (ms) is the slot's start. */
export interface Slots {
  offset: number
  size: number
}

/** Jobs per type, status and timeline slot. */
export interface Tally {
  n: number
  slot: number
  status: string
  type: string
}

/** How many jobs of a type had a value (whole ms). */
export interface ValueCount {
  grp: string
  ms: number
  n: number
}

export interface WindowFigures {
  durations: ValueCount[]
  errors: ErrorText[]
  tallies: Tally[]
  waits: ValueCount[]
}

/** The jobs created from `sinceUs` to `untilUs` (both included) of a selection, in timeline slots. */
export interface WindowQuery {
  selection: Selection
  sinceUs: number
  slots: Slots
  untilUs: number
}

export type FiguresReader = (db: Db, query: WindowQuery) => WindowFigures

function selectionConditions(selection: Selection): string[] {
  return [
    ...(selection.owner === undefined ? [] : ['username = @owner']),
    ...(selection.operationType === undefined ? [] : ['operation_type = @operationType']),
    ...(selection.repository === undefined ? [] : ['repository = @repository']),
  ]
}

function selectionParams(selection: Selection): Record<string, string> {
  return Object.fromEntries(Object.entries(selection).filter(([, value]) => value !== undefined))
}

/** What one job adds to the figures, its values computed in SQL as the aggregates compute them. */
interface JobFigures {
  created_us: number
  duration_ms: null | number
  error: null | string
  job_id: string
  seq: number
  slot: number
  status: string
  type: string
  wait_ms: null | number
}

/** The entry of `map` under the key made of `parts`, made by `make` the first time. */
function entry<T>(map: Map<string, T>, parts: unknown[], make: () => T): T {
  const key = JSON.stringify(parts)
  let found = map.get(key)
  if (found === undefined) {
    found = make()
    map.set(key, found)
  }

  return found
}

/** The jobs' figures added up, as the GROUP BYs of the aggregates add them up. */
function addUp(jobs: readonly JobFigures[]): WindowFigures {
  const tallies = new Map<string, Tally>()
  const durations = new Map<string, ValueCount>()
  const waits = new Map<string, ValueCount>()
  const errors = new Map<string, ErrorText>()
  const countValue = (values: Map<string, ValueCount>, grp: string, ms: null | number) => {
    if (ms !== null && ms >= 0) entry(values, [grp, ms], () => ({grp, ms, n: 0})).n++
  }

  for (const job of jobs) {
    entry(tallies, [job.type, job.status, job.slot], () => ({type: job.type, status: job.status, slot: job.slot, n: 0}))
      .n++
    countValue(durations, job.type, job.duration_ms)
    countValue(waits, job.type, job.wait_ms)
    if (job.status !== 'failed') continue
    const error = entry(errors, [job.error], () => ({
      error: job.error,
      count: 0,
      newest_created_us: -Infinity,
      newest_job_id: '',
      newest_seq: 0,
    }))
    error.count++
    if (
      job.created_us > error.newest_created_us ||
      (job.created_us === error.newest_created_us && job.seq > error.newest_seq)
    ) {
      Object.assign(error, {newest_created_us: job.created_us, newest_seq: job.seq, newest_job_id: job.job_id})
    }
  }

  return {
    tallies: [...tallies.values()],
    durations: [...durations.values()],
    waits: [...waits.values()],
    errors: [...errors.values()],
  }
}

/** The figures straight from the jobs table: every job of the window read once (an index range scan). */
export const figuresFromRows: FiguresReader = (db, {selection, sinceUs, untilUs, slots}) => {
  const where = ['created_us >= @sinceUs', 'created_us <= @untilUs', ...selectionConditions(selection)].join(' AND ')
  const jobs = db
    .prepare(
      `SELECT operation_type AS type, status, (created_us / 1000 - ${slots.offset}) / ${slots.size} AS slot,
         ${durationMsSql('')} AS duration_ms, ${waitMsSql('')} AS wait_ms,
         CASE WHEN status = 'failed' THEN ${errorTextSql('')} END AS error, created_us, seq, job_id
       FROM jobs WHERE ${where}`,
    )
    .all({...selectionParams(selection), sinceUs, untilUs}) as JobFigures[]
  return addUp(jobs)
}

/** The figures of the jobs created in hours `fromHour`..`toHour`, from the aggregates. */
function figuresFromHours(db: Db, {selection, slots}: WindowQuery, fromHour: number, toHour: number): WindowFigures {
  const where = [
    'rollup = @rollup AND username = @owner AND repository = @repository AND hour >= @fromHour AND hour <= @toHour',
    ...(selection.operationType === undefined ? [] : ['operation_type = @operationType']),
  ].join(' AND ')
  const params = {
    ...selectionParams(selection),
    rollup: rollupFor(selection.owner !== undefined, selection.repository !== undefined),
    owner: selection.owner ?? '',
    repository: selection.repository ?? '',
    fromHour,
    toHour,
  }
  const values = (table: string) =>
    db
      .prepare(`SELECT operation_type AS grp, ms, SUM(n) AS n FROM ${table} WHERE ${where} GROUP BY grp, ms`)
      .all(params) as ValueCount[]
  return {
    tallies: db
      .prepare(
        `SELECT operation_type AS type, status, (hour * ${HOUR_US / 1000} - ${slots.offset}) / ${slots.size} AS slot,
           SUM(n) AS n FROM job_hour_counts WHERE ${where} GROUP BY type, status, slot`,
      )
      .all(params) as Tally[],
    durations: values('job_hour_durations'),
    waits: values('job_hour_waits'),
    // One row per error text (a text fails in many hours), so each text is shaped once.
    errors: db
      .prepare(
        `SELECT error, count, newest_job_id, newest_created_us, newest_seq FROM (
           SELECT error, newest_job_id, newest_created_us, newest_seq, SUM(n) OVER (PARTITION BY error) AS count,
             ROW_NUMBER() OVER (PARTITION BY error ORDER BY newest_created_us DESC, newest_seq DESC) AS rn
           FROM job_hour_errors WHERE ${where})
         WHERE rn = 1`,
      )
      .all(params) as ErrorText[],
  }
}

/**
 * The figures of the jobs created from `sinceUs` to `untilUs` (both included): whole hours from
 * the aggregates, the rest from the rows. Hours before 1970 are left to the rows, where integer
 * division would round the other way.
 */
export const windowFigures: FiguresReader = (db, query) => {
  const {sinceUs, untilUs} = query
  const firstHour = Math.max(Math.ceil(sinceUs / HOUR_US), 0)
  const lastHour = Math.floor((untilUs + 1) / HOUR_US) - 1
  if (firstHour > lastHour) return figuresFromRows(db, query)
  const pieces = [
    figuresFromRows(db, {...query, untilUs: firstHour * HOUR_US - 1}),
    figuresFromHours(db, query, firstHour, lastHour),
    figuresFromRows(db, {...query, sinceUs: (lastHour + 1) * HOUR_US}),
  ]
  return {
    tallies: pieces.flatMap((piece) => piece.tallies),
    durations: pieces.flatMap((piece) => piece.durations),
    waits: pieces.flatMap((piece) => piece.waits),
    errors: pieces.flatMap((piece) => piece.errors),
  }
}
