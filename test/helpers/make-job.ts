import type {Job} from '../../src/jobs/job.js'

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
