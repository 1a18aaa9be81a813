/**
 * From `jobs list` flag values (also usable by any command that selects jobs by filter) to a
 * ListQuery for the client, and the client-side sort. Everything here is checked before the
 * first request, so a typo is a usage error (exit 2), never a network call.
 */
import {UsageError} from '../errors.js'
import {ACTIVE_STATUSES, type Job, KNOWN_STATUSES, newestFirst} from './job.js'
import {jobDurationMs} from '../ui/job-format.js'
import type {ListQuery} from '../client/jobs-client.js'
import {normalizeStatusName} from '../client/normalize.js'
import {parseTimeFlag} from '../support/time.js'

/** `active` is shorthand for every status of a job that has not ended. */
const STATUS_GROUPS: Readonly<Record<string, readonly string[]>> = {active: [...ACTIVE_STATUSES]}

/** Prefix that passes a status through unchecked, for statuses newer than this CLI (the server's set is open). */
export const RAW_STATUS_PREFIX = '='

export const STATUS_HELP = `One of ${KNOWN_STATUSES.join(', ')}; pending (= queued), active (= queued, running, resolving_prerequisites). Repeat the flag or separate with commas. A name the CLI does not know is refused; write it as =NAME to send it to the server unchecked.`

/** Repeated and comma-separated values, trimmed, empties dropped, duplicates removed (first kept). */
export function splitList(values: readonly string[] | undefined): string[] {
  const items = (values ?? []).flatMap((value) => value.split(',')).map((item) => item.trim())
  return [...new Set(items.filter((item) => item !== ''))]
}

/** `Running`, `completed-partial`, `pending`: the status names as the client compares them. */
function canonicalStatus(name: string): string {
  return normalizeStatusName(name.replaceAll('-', '_'))
}

/** `--status` values to the statuses to ask for; undefined when none were given. UsageError for an unknown name. */
export function parseStatuses(values: readonly string[] | undefined): string[] | undefined {
  const names = splitList(values)
  if (names.length === 0) return undefined
  const statuses = names.flatMap((name) => {
    if (name.startsWith(RAW_STATUS_PREFIX) && name.length > RAW_STATUS_PREFIX.length) return [name.slice(RAW_STATUS_PREFIX.length)]
    const status = canonicalStatus(name)
    const group = STATUS_GROUPS[status]
    if (group) return group
    if ((KNOWN_STATUSES as readonly string[]).includes(status)) return [status]
    throw new UsageError(`Unknown status "${name}". Valid: ${[...KNOWN_STATUSES, 'pending', 'active'].join(', ')}.`, {
      hint: `For a status this CLI does not know yet, write --status ${RAW_STATUS_PREFIX}${name}.`,
    })
  })
  return [...new Set(statuses)]
}

export interface ListFlagValues {
  status?: string[]
  type?: string[]
  repository?: string
  user?: string
  since?: string
  until?: string
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}

/** The ListQuery the flags describe. UsageError for a bad status, a bad time, or --since after --until. */
export function buildListQuery(flags: ListFlagValues, now: Date = new Date()): ListQuery {
  const query: ListQuery = {}
  const statuses = parseStatuses(flags.status)
  if (statuses) query.statuses = statuses
  const types = splitList(flags.type)
  if (types.length > 0) query.types = types
  const repository = nonEmpty(flags.repository)
  if (repository) query.repository = repository
  const user = nonEmpty(flags.user)
  if (user) query.user = user
  if (flags.since !== undefined) query.since = parseTimeFlag(flags.since, 'since', now)
  if (flags.until !== undefined) query.until = parseTimeFlag(flags.until, 'until', now)
  if (query.since && query.until && query.since > query.until) {
    throw new UsageError(`--since (${query.since.toISOString()}) is after --until (${query.until.toISOString()}): nothing can match.`)
  }

  return query
}

export const SORT_KEYS = ['created', 'progress', 'status', 'type', 'duration', 'repository', 'user'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export interface JobSort {
  key: SortKey
  descending: boolean
}

export const DEFAULT_SORT = '-created'
export const SORT_HELP = `${SORT_KEYS.join(', ')}; a leading - sorts descending. Sorts the jobs shown (the newest first are fetched).`

/** `-created` → newest first; `progress` → ascending. UsageError for an unknown key. */
export function parseSort(value: string): JobSort {
  const trimmed = value.trim()
  const descending = trimmed.startsWith('-')
  const key = (descending ? trimmed.slice(1) : trimmed).toLowerCase()
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw new UsageError(`Unknown sort key "${value}". Valid: ${SORT_KEYS.join(', ')} (a leading - sorts descending).`)
  }

  return {key: key as SortKey, descending}
}

type SortValue = number | string | null

/** Known statuses in their lifecycle order, unknown ones after them. */
function statusRank(status: string): number {
  const index = (KNOWN_STATUSES as readonly string[]).indexOf(status)
  return index === -1 ? KNOWN_STATUSES.length : index
}

function sortValue(job: Job, key: SortKey, now: Date): SortValue {
  switch (key) {
    case 'created':
      return Date.parse(job.created_at)
    case 'progress':
      return job.progress
    case 'status':
      return statusRank(job.status)
    case 'type':
      return job.job_type
    case 'duration':
      return jobDurationMs(job, now)
    case 'repository':
      return job.repository
    case 'user':
      return job.user_id
  }
}

function isMissing(value: SortValue): boolean {
  return value === null || (typeof value === 'number' && Number.isNaN(value))
}

function compareValues(a: SortValue, b: SortValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a).localeCompare(String(b))
}

/**
 * A sorted copy. Missing values (no repository, not started) go last in either direction; ties
 * keep the newest first, and unknown statuses sort by name after the known ones.
 */
export function sortJobs(jobs: readonly Job[], sort: JobSort, now: Date = new Date()): Job[] {
  const direction = sort.descending ? -1 : 1
  const keyed = jobs.map((job) => ({job, value: sortValue(job, sort.key, now)}))
  keyed.sort((a, b) => {
    const aMissing = isMissing(a.value)
    const bMissing = isMissing(b.value)
    if (aMissing !== bMissing) return aMissing ? 1 : -1
    const byValue = aMissing ? 0 : compareValues(a.value, b.value) * direction
    if (byValue !== 0) return byValue
    if (a.job.status !== b.job.status && sort.key === 'status') return a.job.status.localeCompare(b.job.status)
    return newestFirst(a.job, b.job)
  })
  return keyed.map(({job}) => job)
}
