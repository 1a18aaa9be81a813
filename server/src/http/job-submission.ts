import type {Principal} from '../auth/authenticator.js'
import type {JobSpec} from '../jobs/job-engine.js'
import type {Services} from '../services.js'

import {ACTIVE_STATUSES, type JobRow} from '../jobs/job-row.js'
import {isAdmin} from './auth-hooks.js'
import {atCapacity, HttpError} from './errors.js'

/** Jobs take seconds to minutes: asking again sooner than this rarely finds a free slot. */
const JOB_LIMIT_RETRY_AFTER_SECONDS = 10

/**
 * Submits a job for the caller unless they already have as many active (pending + running)
 * jobs as their role allows: then a 429, and nothing is recorded or started.
 */
export function submitJob(services: Services, principal: Principal, spec: Omit<JobSpec, 'username'>): JobRow {
  const limit = isAdmin(principal) ? services.options.activeJobLimit.admin : services.options.activeJobLimit.user
  const active = ACTIVE_STATUSES.reduce(
    (sum, status) => sum + services.jobs.countFromTally(principal.username, status),
    0,
  )
  if (active >= limit) {
    throw atCapacity(
      `Server at capacity for user '${principal.username}': ${active} jobs pending or running (limit ${limit}). Retry when one has finished.`,
      JOB_LIMIT_RETRY_AFTER_SECONDS,
    )
  }

  return services.engine.submit({...spec, username: principal.username})
}

/**
 * Submits a job unless the same operation is already pending or running on the repository
 * (for user repositories: the same user's), which is a 409 with the real server's wording.
 */
export function submitUnique(
  services: Services,
  principal: Principal,
  spec: Omit<JobSpec, 'username'> & {repository: string},
  perUser: boolean,
): JobRow {
  const existing = services.jobs.findActive(
    spec.operationType,
    spec.repository,
    perUser ? principal.username : undefined,
  )
  if (existing) {
    throw new HttpError(
      409,
      `A '${spec.operationType}' job is already running for repository '${spec.repository}' (job_id: ${existing.job_id}). Please wait for it to complete.`,
    )
  }

  return submitJob(services, principal, spec)
}
