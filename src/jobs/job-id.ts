/**
 * Turns what the user typed (a full job ID, or a prefix such as the short IDs `jobs list`
 * shows) into one job. The server has no prefix lookup, so a prefix is matched against the
 * jobs the caller can list; a real server lists only about the newest 50 jobs of each status
 * filter, so the listing goes status by status to reach as many as it can.
 */

import type {JobsClient} from '../client/jobs-client.js'

import {serverListsExactly} from '../client/paging.js'
import {CliError, NotFoundError, UsageError} from '../errors.js'
import {formatRelative} from '../support/time.js'
import {displayJob, shortJobIds} from '../ui/job-format.js'
import {pad} from '../ui/text-width.js'
import {type Job, KNOWN_STATUSES, newestFirst} from './job.js'

export const MIN_PREFIX_LENGTH = 4
/** Candidates named in the "ambiguous" message; more are counted, not listed. */
const MAX_LISTED_CANDIDATES = 10
const UUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i

export type JobLookupClient = Pick<JobsClient, 'getJob' | 'listJobs' | 'serverFeatures'>

/** The job `idOrPrefix` names. NotFoundError (exit 4) when none, UsageError (exit 2) when too short or ambiguous. */
export async function resolveJob(client: JobLookupClient, idOrPrefix: string): Promise<Job> {
  const wanted = idOrPrefix.trim()
  if (wanted.length < MIN_PREFIX_LENGTH) {
    throw new UsageError(
      `"${wanted}" is too short to name a job: give the full ID or at least ${MIN_PREFIX_LENGTH} characters of it.`,
    )
  }

  const exact = await fetchIfExists(client, wanted)
  if (exact) return exact
  if (UUID.test(wanted)) throw notFound(wanted)
  const matches = await jobsStartingWith(client, wanted)
  if (matches.length === 0) throw notFound(wanted)
  if (matches.length > 1) throw ambiguous(wanted, matches)
  // The listing lacks the live phase details: fetch the job itself.
  return client.getJob(matches[0].job_id)
}

/** The full ID of the job `idOrPrefix` names (see resolveJob). */
export async function resolveJobId(client: JobLookupClient, idOrPrefix: string): Promise<string> {
  return (await resolveJob(client, idOrPrefix)).job_id
}

async function fetchIfExists(client: JobLookupClient, id: string): Promise<Job | null> {
  try {
    return await client.getJob(id)
  } catch (error) {
    if (error instanceof CliError && error.kind === 'not_found') return null
    throw error
  }
}

/**
 * Every listable job whose ID starts with `prefix`. A server that pages correctly (it advertises
 * job_filters) needs one pass; a real server reaches more status by status, plus one unfiltered
 * pass for statuses this CLI does not know.
 */
async function jobsStartingWith(client: JobLookupClient, prefix: string): Promise<Job[]> {
  const lowerPrefix = prefix.toLowerCase()
  const pagesCorrectly = serverListsExactly(await client.serverFeatures())
  const queries = pagesCorrectly ? [{}] : [...KNOWN_STATUSES.map((status) => ({statuses: [status]})), {}]
  const found = new Map<string, Job>()
  for (const query of queries) {
    for await (const job of client.listJobs(query)) {
      if (job.job_id.toLowerCase().startsWith(lowerPrefix)) found.set(job.job_id, job)
    }
  }

  return [...found.values()].sort(newestFirst)
}

function notFound(wanted: string): NotFoundError {
  return new NotFoundError(`No job found for "${wanted}".`, {
    hint: 'Check the ID with `cidx jobs list --all` (you only see your own jobs unless you are an admin).',
  })
}

function ambiguous(prefix: string, matches: Job[]): UsageError {
  // Escaped before the widths are measured: the columns line up as shown.
  const listed = matches.slice(0, MAX_LISTED_CANDIDATES).map((job) => displayJob(job))
  const shortIds = shortJobIds(listed.map((job) => job.job_id))
  const rows = listed.map((job) => [
    shortIds.get(job.job_id)!,
    job.job_type,
    job.status,
    `created ${formatRelative(job.created_at)}`,
  ])
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  const lines = rows.map(
    (row) =>
      `  ${row
        .map((cell, column) => pad(cell, widths[column]))
        .join('  ')
        .trimEnd()}`,
  )
  if (matches.length > MAX_LISTED_CANDIDATES) lines.push(`  ... and ${matches.length - MAX_LISTED_CANDIDATES} more`)
  return new UsageError(`"${prefix}" matches ${matches.length} jobs:\n${lines.join('\n')}\n`, {
    hint: 'Give more characters of the ID.',
  })
}
