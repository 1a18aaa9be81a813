import type {WireJob} from '@cidx/local-server'

import type {Job} from '../../src/jobs/job.js'

/** Jobs for tests in both shapes: as the wire carries them (`wireJob`) and as the client hands them over (`makeJob`). */

/** A job exactly as the wire carries it: the contract's 12 keys (the local server's own type). */
export type {WireJob} from '@cidx/local-server'

/** A normalized job as the client hands it over; tests change what they need. */
export function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    job_id: '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
    job_type: 'sync_repository',
    description: 'Sync repository backend',
    status: 'running',
    progress: 42,
    created_at: '2026-11-28T09:14:02.481Z',
    started_at: '2026-11-28T09:14:03.010Z',
    completed_at: null,
    user_id: 'alice',
    repository: 'backend',
    error_message: null,
    result: null,
    progress_detail: {current_step: 'semantic', steps_completed: 210, total_steps: 500, estimated_remaining: 80, detailed_status: '210/500 files (42%)'},
    ...overrides,
  }
}

/** Python's `isoformat()` of a UTC time: microseconds and `+00:00`, as a CIDX server writes times. */
export function pythonIso(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00')
}

/** A job exactly as the wire carries it (the contract's 12 keys); tests change what they need. */
export function wireJob(overrides: Partial<WireJob> = {}): WireJob {
  return {
    job_id: '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
    operation_type: 'sync_repository',
    status: 'completed',
    created_at: '2026-11-28T09:14:02.481223+00:00',
    started_at: null,
    completed_at: null,
    progress: 100,
    result: null,
    error: null,
    username: 'alice',
    current_phase: null,
    phase_detail: null,
    ...overrides,
  }
}

/**
 * `count` wire jobs one minute apart, newest first, ending `newest` (default now); IDs are
 * `<prefix>-<n>` with n = 0 for the newest, so tests can name them.
 */
export function jobSeries(count: number, fields: Partial<WireJob> & {prefix?: string; newest?: Date} = {}): WireJob[] {
  const {prefix = 'job', newest = new Date(), ...rest} = fields
  return Array.from({length: count}, (_, n) =>
    wireJob({...rest, job_id: `${prefix}-${n}`, created_at: pythonIso(new Date(newest.getTime() - n * 60_000))}),
  )
}
