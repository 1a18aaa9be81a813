/**
 * The paging strategy of a job listing. A real CIDX server filters only by status and cannot page
 * past its newest ~50 jobs (it answers short or empty pages, or the same page again); a server
 * that lists exactly pages and counts correctly. Both are walked the same careful way, and the
 * filters a server ignores are applied here. Light on purpose (no HTTP stack): the commands ask
 * serverListsExactly() without loading the client.
 */

import type {JobsClient, ListQuery} from './jobs-client.js'

import {type Job, newestFirst} from '../jobs/job.js'

/** What paging needs of a client. */
type PageSource = Pick<JobsClient, 'listPage' | 'serverFeatures'>

export interface CollectedJobs {
  /** Every matching job from `offset` on was fetched. */
  complete: boolean
  jobs: Job[]
  /** A real server's paging defect may have ended the listing before the jobs ran out. */
  serverStoppedEarly: boolean
  /** Matching jobs that exist, at least (the offset included). */
  totalAtLeast: number
}

/** What we ask for per page; a real server caps it at 50 and says so in the answer's `limit`. */
export const PAGE_SIZE = 50

/**
 * A server that advertises `job_filters` (the local one, see JobsClient.serverFeatures) filters on every field it
 * is sent, pages past its newest jobs and counts its `total` correctly; a real server advertises
 * nothing, filters only by status and stops early.
 */
export function serverListsExactly(features: ReadonlySet<string>): boolean {
  return features.has('job_filters')
}

/** The client-side half of the filters: a real server filters only by status, the local one by all. */
export function matchesQuery(job: Job, query: ListQuery): boolean {
  if (query.statuses?.length && !query.statuses.includes(job.status)) return false
  if (query.types?.length && !query.types.includes(job.job_type)) return false
  if (query.repository && job.repository !== query.repository) return false
  if (query.user && job.user_id !== query.user) return false
  const created = Date.parse(job.created_at)
  if (query.since && created < query.since.getTime()) return false
  if (query.until && created > query.until.getTime()) return false
  return true
}

interface CursorOptions {
  /** Asked only when a full page reached the server's total: may the walk end there? */
  pagesCorrectly?: () => Promise<boolean>
  pageSize?: number
  startOffset?: number
}

/**
 * Walks one server listing (one status filter, or none) page by page. It moves `offset` by what it
 * received and stops at an empty or short page, or at a page of jobs it has already seen, so a
 * real server that cannot page past its newest ~50 jobs never makes it loop or duplicate.
 */
class PageCursor {
  done = false
  /**
   * The listing ended after at least one full page. A real server never lists more than its page
   * plus the active jobs (then answers short or empty pages), so more jobs may exist past this point.
   */
  endedAfterFullPage = false
  serverTotal = 0
  private fullPages = 0
  private offset: number
  /** Resolves true for a server known to page and count correctly: its `total` then ends the walk. */
  private readonly pagesCorrectly?: () => Promise<boolean>
  /** Requested per page; the server may use less and says so. */
  private readonly pageSize: number
  private readonly seen = new Set<string>()

  constructor(
    private readonly client: PageSource,
    private readonly query: ListQuery,
    options: CursorOptions = {},
  ) {
    this.offset = options.startOffset ?? 0
    this.pageSize = options.pageSize ?? PAGE_SIZE
    this.pagesCorrectly = options.pagesCorrectly
  }

  async next(): Promise<Job[]> {
    if (this.done) return []
    const page = await this.client.listPage(this.query, {limit: this.pageSize, offset: this.offset})
    this.serverTotal = Math.max(this.serverTotal, page.total)
    const fresh = page.jobs.filter((job) => !this.seen.has(job.job_id))
    for (const job of fresh) this.seen.add(job.job_id)
    this.offset += page.jobs.length
    if (fresh.length === 0 || page.jobs.length < page.limit) {
      this.done = true
      this.endedAfterFullPage = this.fullPages > 0
    } else {
      this.fullPages++
      // No empty page to ask for when a server that counts correctly has given all it has.
      if (this.offset >= page.total && (await this.pagesCorrectly?.())) this.done = true
    }

    return fresh
  }
}

/**
 * The statuses to ask a server for: a real server files a partial job under `completed` (with
 * `result.partial`), so `completed_partial` is looked for there too (the client filter keeps
 * only the partial ones unless `completed` was asked for as well).
 */
function wireStatuses(statuses: readonly string[]): string[] {
  return statuses.includes('completed_partial') ? [...new Set([...statuses, 'completed'])] : [...statuses]
}

/** One cursor per asked-for status (a server filters on one status at a time), or one for all. */
function cursorsFor(client: PageSource, query: ListQuery, options: CursorOptions = {}): PageCursor[] {
  const statuses = query.statuses?.length ? wireStatuses(query.statuses) : [undefined]
  return statuses.map((status) => new PageCursor(client, {...query, statuses: status ? [status] : undefined}, options))
}

/**
 * Every job matching the query, page after page, newest first within each status. It asks for
 * `pageSize` jobs a page (default 50, a real server's cap) from `startOffset` of each listing.
 */
export async function* walkJobs(
  client: PageSource,
  query: ListQuery,
  options: {pageSize?: number; startOffset?: number},
): AsyncGenerator<Job> {
  const yielded = new Set<string>()
  for (const cursor of cursorsFor(client, query, options)) {
    while (!cursor.done) {
      for (const job of await cursor.next()) {
        if (!matchesQuery(job, query) || yielded.has(job.job_id)) continue
        yielded.add(job.job_id)
        yield job
      }
    }
  }
}

/** Options of collectJobs. */
export interface CollectOptions {
  limit: 'all' | number
  offset?: number
}

/**
 * The jobs a listing shows: sends every filter to the server (a real one ignores all but status),
 * filters on the client as well, and pages until `limit` matching jobs are in hand (after skipping
 * `offset` of them) or the jobs run out. Several statuses are listed separately and merged.
 */
export async function collectJobs(
  client: PageSource,
  query: ListQuery,
  options: CollectOptions,
): Promise<CollectedJobs> {
  const offset = options.offset ?? 0
  const wanted = options.limit === 'all' ? Number.POSITIVE_INFINITY : offset + options.limit
  // Asked only once a page has come: the answer names the server's features, so asking costs nothing.
  let features: Promise<boolean> | undefined
  const listsExactly = (): Promise<boolean> => (features ??= client.serverFeatures().then(serverListsExactly))
  const cursors = cursorsFor(client, query, {pagesCorrectly: listsExactly})
  const matched = new Map<string, Job>()
  await Promise.all(
    cursors.map(async (cursor) => {
      let count = 0
      while (!cursor.done && count < wanted) {
        for (const job of await cursor.next()) {
          if (!matchesQuery(job, query) || matched.has(job.job_id)) continue
          matched.set(job.job_id, job)
          count++
        }
      }
    }),
  )
  const all = [...matched.values()].sort(newestFirst)
  const serverStoppedEarly = cursors.some((cursor) => cursor.endedAfterFullPage) && !(await listsExactly())
  const complete = !serverStoppedEarly && cursors.every((cursor) => cursor.done) && all.length <= wanted
  const serverTotal = cursors.reduce((sum, cursor) => sum + cursor.serverTotal, 0)
  // Past what was fetched, only a server known to count correctly says how many more there are.
  const countsCorrectly = !complete && (await listsExactly())
  return {
    complete,
    jobs: all.slice(offset, wanted),
    serverStoppedEarly,
    totalAtLeast: countsCorrectly ? Math.max(all.length, serverTotal) : all.length,
  }
}
