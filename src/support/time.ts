/**
 * Time as people type it and read it: durations like `90m` or `1h30m`, ISO dates, and the short
 * relative/absolute forms the tables, status views and `whoami` show.
 */
import {UsageError} from '../errors.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const WEEK = 7 * DAY

const UNIT_MS: Readonly<Record<string, number>> = {ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY, w: WEEK}

/** One or more `<number><unit>` parts, units ms s m h d w, largest first not required: `500ms`, `90s`, `1h30m`, `2d 4h`. */
const DURATION = /^(?:\d+(?:\.\d+)?\s*(?:ms|[smhdw])\s*)+$/i
const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|[smhdw])/gi

/** `2026-11-20`, `2026-11-20T08:03`, `2026-11-20 08:03:00.123`, with an optional `Z` or `+01:00`. */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i

export const DURATION_SYNTAX = 'a duration such as 500ms, 90s, 45m, 2h, 7d, 1w or 1h30m'
export const TIME_SYNTAX = `${DURATION_SYNTAX} (that long ago), or an ISO date/time such as 2026-11-20 or 2026-11-20T08:00Z`

/** Milliseconds of a duration like `90m` or `1h30m`; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (!DURATION.test(trimmed)) return undefined
  let total = 0
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) total += Number(amount) * UNIT_MS[unit.toLowerCase()]
  return Math.round(total)
}

/** Like parseDuration, for a flag: a UsageError naming the flag when the value is not a duration. */
export function parseDurationFlag(value: string, flagName: string): number {
  const ms = parseDuration(value)
  if (ms === undefined) throw new UsageError(`--${flagName} must be ${DURATION_SYNTAX}, not "${value}".`)
  return ms
}

/**
 * A date from an ISO date or date-time. A date alone means local midnight and a date-time without
 * an offset means local time, as people mean them when they type them; `Z` or `+hh:mm` is honoured.
 */
export function parseIsoDate(text: string): Date | undefined {
  const trimmed = text.trim()
  const dateOnly = ISO_DATE.exec(trimmed)
  if (dateOnly) {
    const [, year, month, day] = dateOnly.map(Number)
    const date = new Date(year, month - 1, day)
    // new Date() rolls 2026-02-31 over into March: refuse instead.
    return date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day ? date : undefined
  }

  if (!ISO_DATE_TIME.test(trimmed)) return undefined
  const date = new Date(trimmed.replace(' ', 'T'))
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** `--since`/`--until`: a duration means that long before `now`; else an ISO date/time. UsageError otherwise. */
export function parseTimeFlag(value: string, flagName: string, now: Date = new Date()): Date {
  const ms = parseDuration(value)
  if (ms !== undefined) return new Date(now.getTime() - ms)
  const date = parseIsoDate(value)
  if (date) return date
  throw new UsageError(`--${flagName} must be ${TIME_SYNTAX}, not "${value}".`)
}

function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value)
}

type CoarseUnit = 'd' | 'h' | 'm' | 's'

const COARSE_UNITS: ReadonlyArray<readonly [number, CoarseUnit]> = [
  [DAY, 'd'],
  [HOUR, 'h'],
  [MINUTE, 'm'],
  [SECOND, 's'],
]

/** The largest unit that fits, in whole units rounded down: 3m59s is `[3, 'm']`, anything under a second `[0, 's']`. */
function largestWholeUnit(ms: number): [number, CoarseUnit] {
  const [size, unit] = COARSE_UNITS.find(([unitMs]) => ms >= unitMs) ?? [SECOND, 's']
  return [Math.floor(ms / size), unit]
}

/** The largest unit that fits, as `45s`, `3m`, `2h`, `5d`; whole units, rounded down. */
function coarse(ms: number): string {
  const [count, unit] = largestWholeUnit(ms)
  return `${count}${unit}`
}

/** Beyond this a relative time says less than the date itself. */
const RELATIVE_LIMIT = 30 * DAY
/** Differences this small (clock skew included) read as "just now". */
const JUST_NOW = 5 * SECOND

/** "just now", "3m ago", "in 2h", or the local date (`2026-10-02`) when more than 30 days away. */
export function formatRelative(value: Date | string, now: Date = new Date()): string {
  const date = toDate(value)
  const diff = now.getTime() - date.getTime()
  if (Number.isNaN(diff)) return '-'
  const distance = Math.abs(diff)
  if (distance < JUST_NOW) return 'just now'
  if (distance >= RELATIVE_LIMIT) return formatLocalDate(date)
  return diff > 0 ? `${coarse(distance)} ago` : `in ${coarse(distance)}`
}

const SPELLED_UNIT: Readonly<Record<CoarseUnit, string>> = {d: 'd', h: 'h', m: 'min', s: 's'}

/**
 * "in 8 min", "3 h ago", "in 0 s": the largest whole unit, however near or far, with no "just now"
 * and no date. For when the side of now matters to the second, like a token's expiry.
 */
export function formatRelativeUnbounded(epochMs: number, now: number): string {
  // Whole seconds first, so that 59.6 s away reads "in 1 min" and exactly now "in 0 s".
  const seconds = Math.round((epochMs - now) / SECOND)
  const [count, unit] = largestWholeUnit(Math.abs(seconds) * SECOND)
  const amount = `${count} ${SPELLED_UNIT[unit]}`
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`
}

function pad2(value: number): string {
  return String(value).padStart(2, '0')
}

/** `45s`, `3m 05s`, `1h 02m`, `2d 04h`: two units at most, the second zero-padded so columns line up. */
export function formatDuration(ms: number): string {
  const safe = Number.isFinite(ms) && ms > 0 ? ms : 0
  const seconds = Math.floor(safe / SECOND)
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${pad2(seconds % 60)}s`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours}h ${pad2(minutes % 60)}m`
  return `${Math.floor(hours / 24)}d ${pad2(hours % 24)}h`
}

function formatLocalDate(date: Date): string {
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`
}

/** The local zone's offset from UTC at that date: `+01:00`, `-05:30`, or `UTC`. */
function formatUtcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset()
  if (minutes === 0) return 'UTC'
  const sign = minutes > 0 ? '+' : '-'
  return `${sign}${pad2(Math.floor(Math.abs(minutes) / 60))}:${pad2(Math.abs(minutes) % 60)}`
}

/** Local wall-clock time with its zone, `2026-11-28 10:14:02 +01:00`; '-' for a missing or unreadable value. */
export function formatTimestamp(value: Date | null | string | undefined): string {
  if (value === null || value === undefined) return '-'
  const date = toDate(value)
  if (Number.isNaN(date.getTime())) return '-'
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  return `${formatLocalDate(date)} ${time} ${formatUtcOffset(date)}`
}
