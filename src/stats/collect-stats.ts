/**
 * Statistics from what a job listing reaches. A real CIDX server lists only the newest ~50 jobs
 * of each status filter, so the jobs are asked for status by status (each with its own window
 * reaches further back than one unfiltered listing), filtered on the client, and the result says
 * whether the server's paging may have hidden older jobs of the window.
 */

import type {JobsClient, ListQuery} from '../client/jobs-client.js'

import {collectJobs} from '../client/paging.js'
import {KNOWN_STATUSES} from '../jobs/job.js'
import {computeStats, type JobStats, type StatsWindow} from './job-stats.js'
import {bucketUnit} from './timeline.js'

export async function statsFromListing(
  client: Pick<JobsClient, 'listPage' | 'serverFeatures'>,
  query: ListQuery,
  window: StatsWindow,
): Promise<JobStats> {
  const windowed: ListQuery = {...query, since: window.since, until: window.until, statuses: [...KNOWN_STATUSES]}
  const collected = await collectJobs(client, windowed, {limit: 'all'})
  return computeStats(collected.jobs, {
    ...window,
    complete: collected.complete,
    unit: bucketUnit(window.since, window.until),
  })
}
