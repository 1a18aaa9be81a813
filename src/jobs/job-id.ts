/**
 * Turns what the user typed (a full job ID, or a prefix such as the short IDs `jobs list`
 * shows) into one job. The server has no prefix lookup and a real one lists only about the
 * newest 50 jobs of each status filter, so a prefix is looked for in the likeliest places first:
 * the IDs this user saw on this server (the ID cache, each checked with one GET), then the first
 * page of the unfiltered listing, then status by status; it stops as soon as the answer is
 * certain (two matches make it ambiguous; one is the answer only once every listing was searched).
 */

import type {JobsClient} from '../client/jobs-client.js'

import {serverListsExactly} from '../client/paging.js'
import {CliError, NotFoundError, UsageError} from '../errors.js'
import {formatRelative} from '../support/time.js'
import {displayJob, shortJobIds} from '../ui/job-format.js'
import {pad} from '../ui/text-width.js'
import {ACTIVE_STATUSES, type Job, KNOWN_STATUSES, newestFirst} from './job.js'

export const MIN_PREFIX_LENGTH = 4
/** Candidates named in the "ambiguous" message; more are counted, not listed. */
const MAX_LISTED_CANDIDATES = 10
/** Seen IDs checked with a GET each: more than this many seen jobs sharing a prefix is ambiguous anyway. */
const MAX_SEEN_CANDIDATES = MAX_LISTED_CANDIDATES
/** The full-ID shapes a server makes: a UUID, or 32 hex digits without dashes. Not found as such, they are not prefixes either. */
const FULL_ID = /^(?:[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}|[\da-f]{32})$/i
/** A real server's page: also the size of its window of each status. */
const WINDOW = 50

export type JobLookupClient = Pick<JobsClient, 'getJob' | 'listJobs' | 'listPage' | 'serverFeatures'>

export interface LookupOptions {
  /** The IDs this user saw on this server, most recent first (the ID cache); read only for a prefix. */
  seenIds?: () => Promise<readonly string[]>
}

/** The job `idOrPrefix` names. NotFoundError (exit 4) when none, UsageError (exit 2) when too short or ambiguous. */
export async function resolveJob(
  client: JobLookupClient,
  idOrPrefix: string,
  options: LookupOptions = {},
): Promise<Job> {
  const wanted = idOrPrefix.trim()
  if (wanted.length < MIN_PREFIX_LENGTH) {
    throw new UsageError(
      `"${wanted}" is too short to name a job: give the full ID or at least ${MIN_PREFIX_LENGTH} characters of it.`,
    )
  }

  const seen = await seenMatches(client, wanted, options)
  if (seen.exact) return seen.exact
  if (seen.jobs.length === 1) return uniqueAmongNewest(client, wanted, seen.jobs[0])
  if (seen.jobs.length > 1) throw ambiguous(wanted, seen.jobs)
  const exact = seen.triedExact ? null : await fetchIfExists(client, wanted)
  if (exact) return exact
  if (FULL_ID.test(wanted)) throw notFound(wanted, {windowed: false})
  const {matches, windowed} = await listedMatches(client, wanted)
  if (matches.length === 0) throw notFound(wanted, {windowed})
  if (matches.length > 1) throw ambiguous(wanted, matches)
  // The listing lacks the live phase details: fetch the job itself.
  return client.getJob(matches[0].job_id)
}

/** The full ID of the job `idOrPrefix` names (see resolveJob). */
export async function resolveJobId(
  client: JobLookupClient,
  idOrPrefix: string,
  options: LookupOptions = {},
): Promise<string> {
  return (await resolveJob(client, idOrPrefix, options)).job_id
}

async function fetchIfExists(client: JobLookupClient, id: string): Promise<Job | null> {
  try {
    return await client.getJob(id)
  } catch (error) {
    if (error instanceof CliError && error.kind === 'not_found') return null
    throw error
  }
}

function startsWith(id: string, prefix: string): boolean {
  return id.toLowerCase().startsWith(prefix.toLowerCase())
}

/**
 * The seen jobs whose IDs start with `wanted` and that the server still has, each fetched once.
 * A seen ID equal to what was typed is the job itself: a full ID wins over the longer IDs it starts.
 */
async function seenMatches(
  client: JobLookupClient,
  wanted: string,
  options: LookupOptions,
): Promise<{exact: Job | null; jobs: Job[]; triedExact: boolean}> {
  const seenIds = (await options.seenIds?.()) ?? []
  const candidates = [...new Set(seenIds.filter((id) => startsWith(id, wanted)))].slice(0, MAX_SEEN_CANDIDATES)
  const jobs = (await Promise.all(candidates.map((id) => fetchIfExists(client, id)))).filter(
    (job): job is Job => job !== null,
  )
  return {
    exact: jobs.find((job) => job.job_id === wanted) ?? null,
    jobs: jobs.sort(newestFirst),
    triedExact: candidates.includes(wanted),
  }
}

/**
 * A prefix the cache matched once is not yet certain: a job the user never saw may share it, most
 * likely among the newest. One page of them must hold no other match (a wrong job cancelled is
 * worse than a request).
 */
async function uniqueAmongNewest(client: JobLookupClient, prefix: string, seen: Job): Promise<Job> {
  const newest = await client.listPage({}, {limit: WINDOW, offset: 0})
  const others = newest.jobs.filter((job) => job.job_id !== seen.job_id && startsWith(job.job_id, prefix))
  if (others.length > 0) throw ambiguous(prefix, [seen, ...others].sort(newestFirst))
  return seen
}

/**
 * Jobs found by listing. The first unfiltered page holds the newest jobs: when it is short it
 * held every job; otherwise a server that lists exactly pages on, and a real one is asked
 * status by status, each status's own newest-50 window reaching further back. `windowed` says
 * that older jobs may exist that no listing shows.
 */
async function listedMatches(client: JobLookupClient, prefix: string): Promise<{matches: Job[]; windowed: boolean}> {
  const found = new Map<string, Job>()
  const collect = (jobs: Iterable<Job>) => {
    for (const job of jobs) if (startsWith(job.job_id, prefix)) found.set(job.job_id, job)
  }

  const result = () => ({matches: [...found.values()].sort(newestFirst), windowed: true})
  const first = await client.listPage({}, {limit: WINDOW, offset: 0})
  collect(first.jobs)
  if (first.jobs.length < first.limit) return {...result(), windowed: false}
  if (found.size > 1) return result()
  if (serverListsExactly(await client.serverFeatures())) {
    for await (const job of client.listJobs({}, {startOffset: first.jobs.length})) collect([job])
    return {...result(), windowed: false}
  }

  for (const status of KNOWN_STATUSES) {
    collect(await statusWindow(client, status))
    if (found.size > 1) break
  }

  return result()
}

/**
 * The jobs a real server shows of one status. It reads every active job but only the newest 50
 * finished ones of a status, so only an active status can have more than one page.
 */
async function statusWindow(client: JobLookupClient, status: string): Promise<Job[]> {
  if (!ACTIVE_STATUSES.has(status)) return (await client.listPage({statuses: [status]}, {limit: WINDOW})).jobs
  const jobs: Job[] = []
  for await (const job of client.listJobs({statuses: [status]})) jobs.push(job)
  return jobs
}

/** `windowed`: the server may hold older jobs than it lists (a real server's newest 50 of each status). */
function notFound(wanted: string, {windowed}: {windowed: boolean}): NotFoundError {
  const why = windowed
    ? ' The server shows only the newest 50 jobs of each status: an older job is found by its full ID, which always works.'
    : ''
  return new NotFoundError(`No job found for "${wanted}".${why}`, {
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
