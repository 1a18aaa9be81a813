/**
 * Statistics of a window. The local server computes them over its whole history (feature
 * `job_stats`). Otherwise they come from what a job listing reaches: a real CIDX server lists
 * only the newest ~50 jobs of each status filter, so the jobs are asked for status by status
 * (each with its own window reaches further back than one unfiltered listing), filtered on the
 * client, and the result says whether the server's paging may have hidden older jobs of the window.
 */

import type {JobsClient, ListQuery} from '../client/jobs-client.js'

import {collectJobs} from '../client/paging.js'
import {KNOWN_STATUSES} from '../jobs/job.js'
import {computeStats, type JobStats, type StatsWindow} from './job-stats.js'
import {bucketUnit} from './timeline.js'

export type StatsClient = Pick<JobsClient, 'jobStats' | 'listPage' | 'serverFeatures'>

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

/** The server's own figures when it offers them for this query (one type at most), else the listing's. */
export async function collectStats(client: StatsClient, query: ListQuery, window: StatsWindow): Promise<JobStats> {
  const features = await client.serverFeatures()
  if (features.has('job_stats') && (query.types ?? []).length <= 1) return client.jobStats(query, window)
  return statsFromListing(client, query, window)
}
