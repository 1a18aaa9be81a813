import {pythonIso, type WireJob, wireJob} from '../helpers/fixtures/job-fixtures.js'

const SECOND = 1000
const HOUR = 3_600_000

/**
 * A known week of jobs, relative to `now`, and the figures they must give: 4 completed syncs
 * (waits 10-40 s, runs 60-240 s), 2 failed clones whose errors differ only in path and number,
 * 1 cancelled sync that never started, and 1 job from before the 7-day window.
 */
export function knownJobs(now: Date): WireJob[] {
  const at = (ms: number): string => pythonIso(new Date(now.getTime() - ms))
  const job = (id: string, createdAgo: number, fields: Partial<WireJob>): WireJob =>
    wireJob({job_id: id, created_at: at(createdAgo), ...fields})
  const syncs = [1, 2, 3, 4].map((n) =>
    job(`sync-${n}`, n * HOUR, {
      status: 'completed',
      started_at: at(n * HOUR - n * 10 * SECOND),
      completed_at: at(n * HOUR - n * 10 * SECOND - n * 60 * SECOND),
    }),
  )
  const clone = (id: string, createdAgo: number, path: string) =>
    job(id, createdAgo, {
      operation_type: 'add_golden_repo',
      status: 'failed',
      progress: 0,
      started_at: at(createdAgo - 5 * SECOND),
      completed_at: at(createdAgo - 35 * SECOND),
      error: `Clone of ${path} failed: exit 128`,
    })
  return [
    ...syncs,
    clone('clone-1', 30 * HOUR, '/srv/repos/a1'),
    clone('clone-2', 50 * HOUR, '/srv/repos/b2/x'),
    job('cancel-1', 5 * HOUR, {status: 'cancelled', progress: 0}),
    job('old-1', 8 * 24 * HOUR, {status: 'failed', error: 'too old to count'}),
  ]
}

/** The figures of knownJobs() over the default window (--json), timeline aside. */
export const KNOWN_FIGURES = {
  sample: 7,
  by_status: {cancelled: 1, completed: 4, failed: 2},
  by_type: {
    add_golden_repo: {count: 2, failed: 2, success_rate: 0, duration_p50_s: 30, duration_p95_s: 30},
    sync_repository: {count: 5, failed: 0, success_rate: 1, duration_p50_s: 120, duration_p95_s: 240},
  },
  success_rate: 4 / 6,
  duration: {p50_s: 60, p95_s: 240, max_s: 240},
  queue_wait: {p50_s: 10, p95_s: 40},
  top_errors: [{error: 'Clone of <path> failed: exit <n>', count: 2, example_job_id: 'clone-1'}],
}
