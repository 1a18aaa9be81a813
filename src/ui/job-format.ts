/**
 * How a job's parts read on screen: progress bar, short ID and duration (a status's own look is in
 * status-style.ts). Every function takes the terminal options instead of looking at the process, so the
 * same code renders for a terminal, a pipe, and tests. The views that show jobs take them in
 * through `displayJob`, so no server text reaches a formatter unescaped.
 */
import {type Job, TERMINAL_STATUSES} from '../jobs/job.js'
import {formatDuration} from '../support/time.js'
import {safeText, type SafeTextOptions} from './safe-text.js'
import {statusStyle} from './status-style.js'
import {type Paint, painter} from './terminal.js'

/**
 * The job as people are shown it: every text the server sent escaped by safeText, before any
 * colour is added, so widths measure what the terminal shows. Timestamps and numbers are the
 * client's own (parsed and rewritten). `result` stays as sent: formatResult escapes the lines
 * it makes of it.
 */
export function displayJob(job: Job, options?: SafeTextOptions): Job {
  const text = (value: string) => safeText(value, options)
  const optional = (value: null | string) => (value === null ? null : text(value))
  const detail = job.progress_detail
  return {
    ...job,
    job_id: text(job.job_id),
    job_type: text(job.job_type),
    description: text(job.description),
    status: text(job.status),
    user_id: text(job.user_id),
    repository: optional(job.repository),
    node: optional(job.node),
    error_message: optional(job.error_message),
    progress_detail: {
      ...detail,
      current_step: optional(detail.current_step),
      detailed_status: optional(detail.detailed_status),
    },
  }
}

export interface RenderOptions {
  /** Symbols and bars allowed (a colour terminal). */
  bars: boolean
  /** Colour codes allowed. */
  color: boolean
}

export const BAR_WIDTH = 10
const FULL = '█'
const HALF = '▌'
const EMPTY = '░'

function clampPercent(percent: number): number {
  return Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0
}

/** A fixed-width bar in half-cell steps: 45 % of 10 cells is `████▌░░░░░`. */
export function progressBar(percent: number, width: number = BAR_WIDTH): string {
  const halves = Math.round((clampPercent(percent) / 100) * width * 2)
  const full = Math.floor(halves / 2)
  const half = halves % 2
  return FULL.repeat(full) + HALF.repeat(half) + EMPTY.repeat(width - full - half)
}

/** `42%`, right-aligned in 4 columns. Rounded down, so an unfinished job never reads 100 %. */
export function formatPercent(percent: number): string {
  return `${Math.floor(clampPercent(percent))}%`.padStart(4)
}

/** The bar (in the status colour) and the percent on a colour terminal; the percent alone otherwise. */
export function formatProgress(job: Pick<Job, 'progress' | 'status'>, options: RenderOptions): string {
  const percent = formatPercent(job.progress)
  if (!options.bars) return percent.trimStart()
  const paint: Paint = painter(options.color)
  const bar = progressBar(job.progress)
  const filled = bar.replaceAll(EMPTY, '')
  const color = statusStyle(job.status)?.color ?? 'gray'
  return `${paint(color, filled)}${paint('dim', bar.slice(filled.length))} ${percent}`
}

const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i
/** A UUID without its dashes, as some jobs of a real server have (`bbbf86ac03d04df481ef48b1ce20ed8f`). */
const DASHLESS_UUID = /^[\da-f]{32}$/i
/** System jobs: a readable name, then a hex tail (`data-retention-1a2b3c4d`). */
const NAMED_ID = /^([a-z][a-z_]*(?:-[a-z_]+)*-)([\da-f]+)$/i
const SHORT_HEX = 8

/**
 * The ID as a table shows it on a terminal: the first 8 characters of a UUID (with or without its
 * dashes); a system ID keeps
 * its name and the first 8 characters of its hex tail. Always a prefix of the full ID, so it can
 * be pasted into `cidx jobs status`. Other IDs are opaque and kept whole.
 */
export function shortJobId(id: string, hexLength: number = SHORT_HEX): string {
  if (UUID.test(id) || DASHLESS_UUID.test(id)) return id.slice(0, hexLength)
  const named = NAMED_ID.exec(id)
  if (named) return named[1] + named[2].slice(0, hexLength)
  return id
}

/**
 * Short IDs for a set of jobs, lengthened where two would read the same, so every ID shown
 * still names one job among those listed.
 */
export function shortJobIds(ids: readonly string[]): Map<string, string> {
  const unique = [...new Set(ids)]
  const result = new Map<string, string>()
  for (let hexLength = SHORT_HEX, pending = unique; pending.length > 0; hexLength += 4) {
    const shorts = pending.map((id) => shortJobId(id, hexLength))
    const seen = new Map<string, number>()
    for (const short of shorts) seen.set(short, (seen.get(short) ?? 0) + 1)
    const clashing: string[] = []
    for (const [index, id] of pending.entries()) {
      // A short form that is the whole ID cannot be lengthened further.
      if (seen.get(shorts[index]) === 1 || shorts[index] === id) result.set(id, shorts[index])
      else clashing.push(id)
    }

    pending = clashing
  }

  return result
}

/** Milliseconds from start to completion (or to `now` while it runs); null when it never started. */
export function jobDurationMs(
  job: Pick<Job, 'completed_at' | 'started_at' | 'status'>,
  now: Date = new Date(),
): null | number {
  if (!job.started_at) return null
  const started = Date.parse(job.started_at)
  let end: number
  if (job.completed_at) end = Date.parse(job.completed_at)
  else if (TERMINAL_STATUSES.has(job.status))
    return null // finished, but the server kept no end time
  else end = now.getTime()
  const ms = end - started
  return Number.isNaN(ms) ? null : Math.max(0, ms)
}

/** `1h 02m`, `45s`; `-` when the job has not started. */
export function formatJobDuration(
  job: Pick<Job, 'completed_at' | 'started_at' | 'status'>,
  now: Date = new Date(),
): string {
  const ms = jobDurationMs(job, now)
  return ms === null ? '-' : formatDuration(ms)
}
