import type {Services} from '../../services.js'

import {isoZ, nowMicros} from '../../time.js'

export const HOUR_US = 3600 * 1_000_000

/** What a cleanup with this age limit would remove, exactly (the `cleanup_preview` extension). */
export interface CleanupPreview {
  by_status: Record<string, number>
  count: number
  max_age_hours: number
  /** End time (or, lacking one, start) of the oldest and newest job that would go; null when none. */
  newest: null | string
  oldest: null | string
}

function cutoffUs(maxAgeHours: number): number {
  return nowMicros() - maxAgeHours * HOUR_US
}

/** Archives (in the data dir's `archive/` folder), then deletes, finished jobs older than the age limit; returns how many went. */
export async function deleteExpiredJobs(services: Pick<Services, 'data'>, maxAgeHours: number): Promise<number> {
  const cutoff = cutoffUs(maxAgeHours)
  return services.data.history.sweep((limit) => services.data.jobs.finishedBefore(cutoff, limit))
}

export async function previewExpiredJobs(
  services: Pick<Services, 'jobs'>,
  maxAgeHours: number,
): Promise<CleanupPreview> {
  const groups = await services.jobs.finishedBeforeByStatus(cutoffUs(maxAgeHours))
  const when = (pick: (times: number[]) => number, key: 'newest_us' | 'oldest_us') =>
    groups.length === 0 ? null : isoZ(new Date(pick(groups.map((group) => group[key])) / 1000))
  return {
    max_age_hours: maxAgeHours,
    count: groups.reduce((sum, group) => sum + group.count, 0),
    by_status: Object.fromEntries(groups.map((group) => [group.status, group.count])),
    oldest: when((times) => Math.min(...times), 'oldest_us'),
    newest: when((times) => Math.max(...times), 'newest_us'),
  }
}

export function cleanupMessage(count: number): string {
  return `Cleaned up ${count} old job${count === 1 ? '' : 's'}`
}
