import {HttpError} from './errors.js'
import type {JobSpec} from '../jobs/job-engine.js'
import type {JobRow} from '../jobs/job-row.js'
import type {Services} from '../services.js'

/**
 * Submits a job unless the same operation is already pending or running on the repository
 * (for user repositories: the same user's), which is a 409 with the real server's wording.
 */
export function submitUnique(services: Services, spec: JobSpec & {repository: string}, perUser: boolean): JobRow {
  const existing = services.jobs.findActive(spec.operationType, spec.repository, perUser ? spec.username : undefined)
  if (existing) {
    throw new HttpError(
      409,
      `A '${spec.operationType}' job is already running for repository '${spec.repository}' (job_id: ${existing.job_id}). Please wait for it to complete.`,
    )
  }
  return services.engine.submit(spec)
}
