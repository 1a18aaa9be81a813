/**
 * Which jobs `jobs cancel` acts on: the jobs named by ID, or the jobs a filter selects (queued and
 * running unless --status says otherwise), never both and never neither. Everything is resolved
 * before anything is cancelled, so a typo or an oversized filter stops the command, not half of it.
 */
import type {JobsClient, ListQuery} from '../client/jobs-client.js'
import type {Job} from '../jobs/job.js'

import {collectJobs} from '../client/paging.js'
import {UsageError} from '../errors.js'
import {type LookupOptions, resolveJob} from '../jobs/job-id.js'
import {buildListQuery, type ListFlagValues} from '../jobs/list-query.js'

/** What a filter selects when --status is not given: the jobs a server will cancel. */
const CANCELLABLE_STATUSES = ['queued', 'running']
/** A filter selection larger than this is almost certainly a mistake; it is refused, not truncated. */
export const MAX_SELECTION = 1000

/** The filter flags of `jobs cancel`. */
export type CancelFilter = Pick<ListFlagValues, 'repository' | 'status' | 'type' | 'user'>

/** Job IDs (or unique prefixes) as given, or the query of a filter. */
export type CancelRequest = {ids: string[]} | {query: ListQuery}

export interface Selection {
  jobs: Job[]
  /** A real server lists only about its newest 50 jobs per status: more may match than were listed. */
  serverStoppedEarly: boolean
}

function hasFilter({repository, status, type, user}: CancelFilter): boolean {
  return Boolean(status?.length || type?.length || repository || user)
}

/** IDs or a filter, checked before any request. UsageError for neither or both. */
export function cancelRequest(ids: string[], filter: CancelFilter): CancelRequest {
  const filtered = hasFilter(filter)
  if (ids.length === 0 && !filtered)
    throw new UsageError(
      'Name the jobs to cancel: give job IDs, or select them with --status, --type, --repository or --user.',
    )
  if (ids.length > 0 && filtered) throw new UsageError('Give job IDs or filter flags, not both.')
  if (ids.length > 0) return {ids}
  return {query: buildListQuery({...filter, status: filter.status ?? [{value: CANCELLABLE_STATUSES}]})}
}

/**
 * The jobs the request names, each once (`lookup` helps resolve prefixes). UsageError when a
 * filter selects more than MAX_SELECTION.
 */
export async function selectJobs(
  client: JobsClient,
  request: CancelRequest,
  lookup: LookupOptions = {},
): Promise<Selection> {
  if ('ids' in request) return {jobs: await resolveAll(client, request.ids, lookup), serverStoppedEarly: false}
  const {jobs, serverStoppedEarly} = await collectJobs(client, request.query, {limit: MAX_SELECTION + 1})
  if (jobs.length > MAX_SELECTION)
    throw new UsageError(`The filter selects more than ${MAX_SELECTION} jobs; narrow it down.`)
  return {jobs, serverStoppedEarly}
}

/** Every ID resolved before anything is cancelled: a typo stops the command, not half of it. */
async function resolveAll(client: JobsClient, ids: string[], lookup: LookupOptions): Promise<Job[]> {
  const jobs = new Map<string, Job>()
  for (const id of ids) {
    const job = await resolveJob(client, id, lookup)
    jobs.set(job.job_id, job)
  }

  return [...jobs.values()]
}
