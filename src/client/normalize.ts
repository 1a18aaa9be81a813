import type {Job, ProgressDetail} from '../jobs/job.js'

import {ProtocolError} from '../errors.js'
import {isRecord} from '../support/json.js'

/**
 * The edge where server JSON becomes a typed `Job`. Whatever a real CIDX server or the local
 * server sends (pending/queued, integer or fractional progress, extra or missing fields,
 * Python isoformat timestamps) ends up in one shape here; nothing else reads raw JSON.
 */

type Raw = Record<string, unknown>

/** A status name typed by a user or sent by a server, in the CLI's vocabulary (`pending` is `queued`). */
export function normalizeStatusName(status: string): string {
  const name = status.trim().toLowerCase()
  return name === 'pending' ? 'queued' : name
}

/** The value a real server filters on: it knows `pending`, never `queued`. */
export function wireStatusName(status: string): string {
  return status === 'queued' ? 'pending' : status
}

function text(raw: Raw, key: string): null | string {
  const value = raw[key]
  if (value === undefined || value === null) return null
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw new ProtocolError(`The server sent a job whose "${key}" is not text`)
}

function nonEmpty(value: null | string): null | string {
  return value === null || value.trim() === '' ? null : value
}

/**
 * Python `isoformat()` of UTC times (`2026-11-20T08:03:00.123456+00:00`, microseconds optional,
 * sometimes naive) to ISO 8601 UTC with `Z`. Unparseable text is a protocol error.
 */
export function normalizeTimestamp(value: null | string, field = 'timestamp'): null | string {
  if (value === null || value.trim() === '') return null
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value.trim())
  const parsed = new Date(hasZone ? value.trim() : `${value.trim()}Z`)
  if (Number.isNaN(parsed.getTime()))
    throw new ProtocolError(`The server sent a job with an unreadable ${field}: "${value}"`)
  return parsed.toISOString()
}

/** Percent 0..100 from an integer, a fraction like 42.5, or numeric text; anything else is 0. */
function normalizeProgress(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value
  if (typeof number !== 'number' || !Number.isFinite(number)) return 0
  const clamped = Math.min(100, Math.max(0, number))
  return Math.round(clamped * 10) / 10
}

const REPOSITORY_FIELDS = ['repository', 'repository_alias', 'alias', 'user_alias', 'golden_repo_alias', 'repo_alias']

function repositoryOf(raw: Raw, result: null | Raw): null | string {
  for (const source of [raw, result]) {
    if (!source) continue
    for (const key of REPOSITORY_FIELDS) {
      const value = source[key]
      if (typeof value === 'string' && value.trim() !== '') return value
    }
  }

  return null
}

const DESCRIPTIONS: Record<string, string> = {
  activate_composite_repository: 'Activate composite repository',
  activate_repository: 'Activate repository',
  add_golden_repo: 'Add golden repository',
  change_branch: 'Change branch of',
  deactivate_repository: 'Deactivate repository',
  global_repo_refresh: 'Refresh golden repository',
  reindex: 'Reindex',
  remove_golden_repo: 'Remove golden repository',
  repository_health_check: 'Health check of',
  sync_activated_repo: 'Sync repository',
  sync_repository: 'Sync repository',
}

/** `provider_index_add` → "Provider index add". */
function humanize(type: string): string {
  const words = type.replaceAll(/[_-]+/g, ' ').trim()
  return words === '' ? 'Job' : words[0].toUpperCase() + words.slice(1)
}

export function describeJob(type: string, repository: null | string): string {
  const phrase = DESCRIPTIONS[type] ?? humanize(type)
  // "Health check of" needs its object: without a repository the phrase ends before "of".
  return repository ? `${phrase} ${repository}` : phrase.replace(/ of$/, '')
}

function errorMessageOf(raw: Raw, status: string, result: null | Raw): null | string {
  const error = nonEmpty(text(raw, 'error'))
  if (error !== null) return error
  if (status !== 'failed' || !result || result.success !== false) return null
  for (const key of ['error', 'message']) {
    const value = result[key]
    if (typeof value === 'string' && value.trim() !== '') return value
  }

  return null
}

/** `150/500 files indexed` or `150/500 files (30%) | 12.4 files/s` → 150 and 500. */
export function parseSteps(detail: null | string): null | {done: number; total: number} {
  const match = detail?.match(/(\d+)\s*\/\s*(\d+)/)
  if (!match) return null
  return {done: Number(match[1]), total: Number(match[2])}
}

/**
 * `pending` is `queued`, and `completed` with `result.partial: true` is `completed_partial` (a
 * real server's final write of a partial job): the same outcome, shown and exited on alike. Every
 * other status, known or not, is kept exactly as the server sent it.
 */
function statusOf(wireStatus: string, result: null | Raw): string {
  if (wireStatus === 'pending') return 'queued'
  if (wireStatus === 'completed' && result?.partial === true) return 'completed_partial'
  return wireStatus
}

function resultOf(raw: Raw): null | Raw {
  const value = raw.result
  if (value === undefined || value === null) return null
  return isRecord(value) ? value : {value}
}

/**
 * The extension `node`: only a non-empty string counts. Anything else (a number, an object, blank
 * text) is no node rather than a broken job, since a real server never sends the field at all.
 */
export function nodeOf(raw: Raw): null | string {
  const value = raw.node
  return typeof value === 'string' && value.trim() !== '' ? value : null
}

/** One wire job (see the contract's 12 keys; extra keys ignored) to the normalized `Job`. */
export function normalizeJob(raw: unknown): Job {
  if (!isRecord(raw)) throw new ProtocolError('The server sent a job that is not a JSON object')
  const jobId = text(raw, 'job_id')
  if (!nonEmpty(jobId)) throw new ProtocolError('The server sent a job without a job_id')
  const createdAt = normalizeTimestamp(text(raw, 'created_at'), 'created_at')
  if (createdAt === null) throw new ProtocolError(`The server sent job ${jobId} without created_at`)

  const type = nonEmpty(text(raw, 'operation_type') ?? text(raw, 'job_type')) ?? 'unknown'
  const result = resultOf(raw)
  const status = statusOf(nonEmpty(text(raw, 'status')) ?? 'unknown', result)
  const repository = repositoryOf(raw, result)
  const phaseDetail = nonEmpty(text(raw, 'phase_detail'))
  const steps = parseSteps(phaseDetail)
  const job: Job = {
    job_id: jobId as string,
    job_type: type,
    node: nodeOf(raw),
    description: nonEmpty(text(raw, 'description')) ?? describeJob(type, repository),
    status,
    progress: normalizeProgress(raw.progress),
    created_at: createdAt,
    started_at: normalizeTimestamp(text(raw, 'started_at'), 'started_at'),
    completed_at: normalizeTimestamp(text(raw, 'completed_at'), 'completed_at'),
    user_id: nonEmpty(text(raw, 'username')) ?? 'unknown',
    repository,
    error_message: errorMessageOf(raw, status, result),
    result,
    progress_detail: {} as ProgressDetail,
  }
  job.progress_detail = {
    current_step: nonEmpty(text(raw, 'current_phase')),
    steps_completed: steps?.done ?? null,
    total_steps: steps?.total ?? null,
    // One snapshot says nothing about pace: a watch estimates from what it sees (watch/eta.ts).
    estimated_remaining: null,
    detailed_status: phaseDetail,
  }
  return job
}
