/**
 * Timestamps are kept as integer microseconds since the epoch (compact, fast to index and to
 * compare) and written on the wire the way Python's `datetime.isoformat()` writes a UTC time.
 */

const wallClockAtStartUs = BigInt(Date.now()) * 1000n
const monotonicAtStartNs = process.hrtime.bigint()

/** Current time in microseconds: the wall clock at start-up plus the monotonic time since. */
export function nowMicros(): number {
  return Number(wallClockAtStartUs + (process.hrtime.bigint() - monotonicAtStartNs) / 1000n)
}

/** `2026-11-20T08:03:00.123456+00:00`; like Python, the fraction is left out when it is zero. */
export function pythonIso(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  const base = new Date(seconds * 1000).toISOString().slice(0, 19)
  return fraction === 0 ? `${base}+00:00` : `${base}.${String(fraction).padStart(6, '0')}+00:00`
}

export function pythonIsoOrNull(micros: null | number): null | string {
  return micros === null ? null : pythonIso(micros)
}

/** The `...Z` form used by error envelopes and health reports. */
export function isoZ(date = new Date()): string {
  return date.toISOString()
}

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * Parses an ISO 8601 date or date-time to microseconds. A time without a zone is taken as UTC
 * (the server's own timestamps are all UTC). Returns null for anything that is not a valid date.
 */
export function parseIsoMicros(text: string): null | number {
  const match = ISO_PATTERN.exec(text.trim())
  if (!match) return null
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone = 'Z'] = match
  const offsetMinutes = zoneOffsetMinutes(zone)
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second))
  if (Number.isNaN(ms) || !sameCalendarDay(ms, Number(year), Number(month), Number(day))) return null
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null
  const micros = Number(fraction.padEnd(6, '0').slice(0, 6))
  return (ms - offsetMinutes * 60_000) * 1000 + micros
}

function zoneOffsetMinutes(zone: string): number {
  if (zone.toUpperCase() === 'Z') return 0
  const digits = zone.replace(':', '')
  const sign = digits.startsWith('-') ? -1 : 1
  return sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)))
}

/** Rejects dates such as 2026-02-31 that Date.UTC would silently roll over. */
function sameCalendarDay(ms: number, year: number, month: number, day: number): boolean {
  const date = new Date(ms)
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}
