import type {CleanupPreview, JobsClient} from '../client/jobs-client.js'
import type {Duration} from '../flags.js'

import {UsageError} from '../errors.js'
import {type Job, TERMINAL_STATUSES} from '../jobs/job.js'

const HOUR_MS = 3_600_000
/** The range a real server clamps `max_age_hours` to. */
export const MAX_AGE_HOURS = {min: 1, max: 8760} as const

/** What `cidx jobs cleanup` would remove (or, after it ran, found to remove). */
export interface CleanupPlan extends CleanupPreview {
  /** True from the local server's preview; false from a listing, which a real server cuts short (a lower bound). */
  exact: boolean
  max_age_hours: number
}

/** `--older-than` as the whole hours the API takes; anything else is refused rather than rounded. */
export function maxAgeHours(olderThan: Duration): number {
  const hours = olderThan.value / HOUR_MS
  if (!Number.isInteger(hours) || hours < MAX_AGE_HOURS.min || hours > MAX_AGE_HOURS.max) {
    throw new UsageError(
      `--older-than must be whole hours from ${MAX_AGE_HOURS.min}h to ${MAX_AGE_HOURS.max}h (365d), not "${olderThan.text}".`,
    )
  }

  return hours
}

/** When a job's age counts from, as the server sees it: its end, or its creation when it has none. */
function endOf(job: Job): string {
  return job.completed_at ?? job.created_at
}

/** Counts finished jobs that ended before the cutoff, by status, with the oldest and newest end. */
export function summarizeExpired(jobs: Iterable<Job>, cutoffMs: number): CleanupPreview {
  const preview: CleanupPreview = {count: 0, by_status: {}, oldest: null, newest: null}
  for (const job of jobs) {
    const end = endOf(job)
    if (!TERMINAL_STATUSES.has(job.status) || !(Date.parse(end) < cutoffMs)) continue
    preview.count++
    preview.by_status[job.status] = (preview.by_status[job.status] ?? 0) + 1
    if (preview.oldest === null || end < preview.oldest) preview.oldest = end
    if (preview.newest === null || end > preview.newest) preview.newest = end
  }

  return preview
}

/**
 * What a cleanup of jobs older than `hours` would remove. The local server says exactly
 * (`cleanup_preview`); a real server has no dry run, so the finished jobs its listing reaches are
 * counted, status by status: a lower bound, as it hides all but the newest of each status.
 */
export async function planCleanup(client: JobsClient, hours: number, now = Date.now()): Promise<CleanupPlan> {
  if ((await client.serverFeatures()).has('cleanup_preview')) {
    return {...(await client.cleanupPreview(hours)), exact: true, max_age_hours: hours}
  }

  const finished: Job[] = []
  for await (const job of client.listJobs({statuses: [...TERMINAL_STATUSES]})) finished.push(job)
  return {...summarizeExpired(finished, now - hours * HOUR_MS), exact: false, max_age_hours: hours}
}
