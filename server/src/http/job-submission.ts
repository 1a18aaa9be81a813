import type {Principal} from '../auth/authenticator.js'
import type {JobSpec} from '../jobs/job-engine.js'
import type {Services} from '../services.js'

import {ActiveJobConflictError} from '../db/storage.js'
import {ACTIVE_STATUSES, type JobRow} from '../jobs/job-row.js'
import {isAdmin} from './auth-hooks.js'
import {atCapacity, HttpError} from './errors.js'

/** Jobs take seconds to minutes: asking again sooner than this rarely finds a free slot. */
const JOB_LIMIT_RETRY_AFTER_SECONDS = 10

/**
 * Submits a job for the caller unless they already have as many active (pending + running)
 * jobs as their role allows: then a 429, and nothing is recorded or started.
 */
export async function submitJob(
  services: Services,
  principal: Principal,
  spec: Omit<JobSpec, 'username'>,
): Promise<JobRow> {
  const limit = isAdmin(principal) ? services.options.activeJobLimit.admin : services.options.activeJobLimit.user
  let active = 0
  for (const status of ACTIVE_STATUSES) active += await services.jobs.countFromTally(principal.username, status)
  if (active >= limit) {
    throw atCapacity(
      `Server at capacity for user '${principal.username}': ${active} jobs pending or running (limit ${limit}). Retry when one has finished.`,
      JOB_LIMIT_RETRY_AFTER_SECONDS,
    )
  }

  return services.engine.submit({...spec, username: principal.username})
}

/**
 * The key only one pending or running job may hold: the operation on the repository, of the
 * user for user repositories. `:` is in no operation type, alias or user name, so keys cannot collide.
 */
export function activeKeyOf(operationType: string, repository: string, username?: string): string {
  return [operationType, ...(username === undefined ? [] : [username]), repository].join(':')
}

/**
 * Submits a job unless the same operation is already pending or running on the repository
 * (for user repositories: the same user's), which is a 409 with the real server's wording. The
 * database holds the rule (a unique index on the active key), so it holds across nodes; the
 * read before it finds jobs recorded without a key (seeded ones) and answers without an insert.
 */
export async function submitUnique(
  services: Services,
  principal: Principal,
  spec: Omit<JobSpec, 'activeKey' | 'username'> & {repository: string},
  perUser: boolean,
): Promise<JobRow> {
  const username = perUser ? principal.username : undefined
  const conflict = (holder: JobRow | undefined) =>
    new HttpError(
      409,
      `A '${spec.operationType}' job is already running for repository '${spec.repository}' (job_id: ${holder?.job_id ?? 'unknown'}). Please wait for it to complete.`,
    )
  const existing = await services.jobs.findActive(spec.operationType, spec.repository, username)
  if (existing) throw conflict(existing)
  try {
    return await submitJob(services, principal, {
      ...spec,
      activeKey: activeKeyOf(spec.operationType, spec.repository, username),
    })
  } catch (error) {
    if (error instanceof ActiveJobConflictError) throw conflict(error.holder)
    throw error
  }
}
