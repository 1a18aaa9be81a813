import type {NewJob} from '../../src/jobs/job-store.js'

const USERS = ['alice', 'bob', 'carol']
const TYPES = ['add_golden_repo', 'sync_repository', 'activate_repository', 'refresh_golden_repo']
const STATUSES = ['completed', 'failed', 'pending', 'running', 'cancelled', 'completed_partial']
const FINISHED = new Set(['cancelled', 'completed', 'completed_partial', 'failed'])

/** The ways a failed job names its error: the column, a failed result's `error` or `message`, or nothing usable. */
function failure(at: number): Pick<NewJob, 'error' | 'result'> {
  switch (at % 5) {
    case 0: {
      return {error: `clone of repo-${at % 3} failed`}
    }

    case 1: {
      return {error: '  ', result: {success: false, error: 'fetch timed out'}}
    }

    case 2: {
      return {error: null, result: {success: false, message: 'disk full'}}
    }

    case 3: {
      return {error: null, result: {success: true, error: 'not a failure text'}}
    }

    default: {
      return {error: null, result: null}
    }
  }
}

/**
 * Jobs of every status, user, type and error shape, spread over several hours; each pair shares
 * a creation time (so `seq` breaks the tie), some waited a negative time (clock skew).
 */
export function variedJobs(count: number, baseUs: number): NewJob[] {
  return Array.from({length: count}, (_, at) => {
    const status = STATUSES[at % STATUSES.length]
    const createdUs = baseUs + Math.floor(at / 2) * 600_000_123
    const startedUs = status === 'pending' ? null : createdUs + (at % 11 === 0 ? -5000 : (at % 7) * 1_000_500)
    const completedUs = FINISHED.has(status) && startedUs !== null ? startedUs + (at % 5) * 2_000_700 : null
    return {
      job_id: `job-${String(at).padStart(4, '0')}`,
      operation_type: TYPES[at % TYPES.length],
      status,
      created_us: createdUs,
      started_us: startedUs,
      completed_us: completedUs,
      username: USERS[Math.floor(at / 7) % USERS.length],
      repository: at % 5 === 0 ? null : `repo-${at % 3}`,
      progress: FINISHED.has(status) ? 100 : 10,
      result: {alias: `repo-${at % 3}`},
      ...(status === 'failed' ? failure(Math.floor(at / 6)) : {}),
    }
  })
}
