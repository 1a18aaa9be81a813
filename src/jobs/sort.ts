/**
 * The client-side sort of `jobs list`: the keys `--sort` takes and the order they give. A real
 * server returns its newest jobs first and sorts nothing else, so the CLI sorts what it fetched.
 */
import {UsageError} from '../errors.js'
import {jobDurationMs} from '../ui/job-format.js'
import {type Job, KNOWN_STATUSES, newestFirst} from './job.js'

export const SORT_KEYS = ['created', 'progress', 'status', 'type', 'duration', 'repository', 'user'] as const
export type SortKey = (typeof SORT_KEYS)[number]

export interface JobSort {
  descending: boolean
  key: SortKey
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

type SortValue = null | number | string

/** Known statuses in their lifecycle order, unknown ones after them. */
function statusRank(status: string): number {
  const index = (KNOWN_STATUSES as readonly string[]).indexOf(status)
  return index === -1 ? KNOWN_STATUSES.length : index
}

function sortValue(job: Job, key: SortKey, now: Date): SortValue {
  switch (key) {
    case 'created': {
      return Date.parse(job.created_at)
    }

    case 'duration': {
      return jobDurationMs(job, now)
    }

    case 'progress': {
      return job.progress
    }

    case 'repository': {
      return job.repository
    }

    case 'status': {
      return statusRank(job.status)
    }

    case 'type': {
      return job.job_type
    }

    case 'user': {
      return job.user_id
    }
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
