/**
 * The local server's `GET /api/jobs/stats` answer (feature `job_stats`) checked into the CLI's
 * `JobStats`: it is already that shape, but it is untrusted input, so every figure is checked
 * and a body that is not the shape is a protocol error, never passed through half-read.
 */

import type {ErrorGroup} from './error-groups.js'
import type {JobStats, TypeStats} from './job-stats.js'
import type {BucketUnit, TimelineBucket} from './timeline.js'

import {ProtocolError} from '../errors.js'
import {isRecord} from '../support/json.js'

const UNITS: readonly BucketUnit[] = ['hour', 'day', 'week']

function fail(what: string): never {
  throw new ProtocolError(`The server answered the job statistics with ${what}`)
}

function record(value: unknown, what: string): Record<string, unknown> {
  return isRecord(value) ? value : fail(`no ${what}`)
}

function count(value: unknown, what: string): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? value
    : fail(`a ${what} that is not a count`)
}

function figure(value: unknown, what: string): null | number {
  if (value === null) return null
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? value
    : fail(`a ${what} that is not a number`)
}

function text(value: unknown, what: string): string {
  return typeof value === 'string' ? value : fail(`a ${what} that is not text`)
}

function time(value: unknown, what: string): string {
  const iso = text(value, what)
  return Number.isNaN(Date.parse(iso)) ? fail(`a ${what} that is not a time`) : new Date(iso).toISOString()
}

function list(value: unknown, what: string): unknown[] {
  return Array.isArray(value) ? value : fail(`no ${what} list`)
}

function counts(value: unknown): Record<string, number> {
  return Object.fromEntries(Object.entries(record(value, 'counts by status')).map(([k, v]) => [k, count(v, 'count')]))
}

function typeStats(value: unknown): TypeStats {
  const raw = record(value, 'figures of a type')
  return {
    count: count(raw.count, 'count'),
    failed: count(raw.failed, 'count'),
    success_rate: figure(raw.success_rate, 'success rate'),
    duration_p50_s: figure(raw.duration_p50_s, 'duration'),
    duration_p95_s: figure(raw.duration_p95_s, 'duration'),
  }
}

function errorGroup(value: unknown): ErrorGroup {
  const raw = record(value, 'error group')
  return {
    error: text(raw.error, 'error'),
    count: count(raw.count, 'count'),
    example_job_id: text(raw.example_job_id, 'job ID'),
  }
}

function bucket(value: unknown): TimelineBucket {
  const raw = record(value, 'timeline bucket')
  return {
    start: time(raw.start, 'bucket start'),
    completed: count(raw.completed, 'count'),
    failed: count(raw.failed, 'count'),
    cancelled: count(raw.cancelled, 'count'),
    other: count(raw.other, 'count'),
  }
}

export function normalizeServerStats(body: unknown): JobStats {
  const raw = record(body, 'JSON object')
  const duration = record(raw.duration, 'duration')
  const wait = record(raw.queue_wait, 'queue wait')
  const unit = UNITS.find((name) => name === raw.timeline_unit) ?? fail('an unknown timeline unit')
  return {
    sample: count(raw.sample, 'sample'),
    complete: true,
    since: time(raw.since, 'window start'),
    until: time(raw.until, 'window end'),
    by_status: counts(raw.by_status),
    by_type: Object.fromEntries(
      Object.entries(record(raw.by_type, 'figures by type')).map(([type, value]) => [type, typeStats(value)]),
    ),
    success_rate: figure(raw.success_rate, 'success rate'),
    duration: {
      p50_s: figure(duration.p50_s, 'duration'),
      p95_s: figure(duration.p95_s, 'duration'),
      max_s: figure(duration.max_s, 'duration'),
    },
    queue_wait: {p50_s: figure(wait.p50_s, 'queue wait'), p95_s: figure(wait.p95_s, 'queue wait')},
    top_errors: list(raw.top_errors, 'error').map((value) => errorGroup(value)),
    timeline: list(raw.timeline, 'timeline').map((value) => bucket(value)),
    timeline_unit: unit,
  }
}
