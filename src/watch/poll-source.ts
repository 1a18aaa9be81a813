/**
 * Polling: changes seen by asking, with a bounded number of requests per interval however many
 * jobs are followed. With push it still runs, slowly, to repair what the stream may have missed.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {ListQuery} from '../client/jobs-client.js'
import type {Job} from '../jobs/job.js'
import type {WatchParts} from './job-watcher.js'

import {serverListsExactly} from '../client/paging.js'
import {ForbiddenError, NotFoundError} from '../errors.js'
import {WatchSource} from './watch-source.js'

/** getJob calls per poll on top of the list calls: this, not the number of jobs, bounds the request rate. */
export const DETAIL_BUDGET = 4
/** The statuses a still-active job has on the wire (a real server says `pending`; the client maps `queued`). */
const ACTIVE_LIST_STATUSES = ['queued', 'running', 'resolving_prerequisites'] as const
/** One page per status per poll: the most a real server returns, and enough for the active jobs of anyone. */
const LIST_PAGE_SIZE = 50
/** With push, a slow poll still runs now and then to repair whatever the stream may have missed. */
const PUSH_RESYNC_MS = 15_000

export interface PollSettings {
  /**
   * What the server says it offers (`job_filters`: listings filtered by repository). Asked only
   * when a repository filter needs it: by then an answer has usually told it for free.
   */
  features: () => Promise<ReadonlySet<string>>
  intervalMs: number
  /** Whether a live stream delivers the changes, so polling may slow down to a resync. */
  pushCovers: () => boolean
  repositories: readonly string[]
  /** When discovering: only these job types / repositories (any when empty). */
  types: readonly string[]
}

/** `count` items of `items` starting at `start`, wrapping around: spreads a budget fairly over many polls. */
function rotate<T>(items: readonly T[], start: number, count: number): T[] {
  if (items.length <= count) return [...items]
  return Array.from({length: count}, (_, index) => items[(start + index) % items.length])
}

const isGone = (reason: unknown) => reason instanceof NotFoundError || reason instanceof ForbiddenError

export class JobPoller extends WatchSource {
  private detailCursor = 0
  private wakeUp: (() => void) | undefined

  constructor(
    parts: WatchParts,
    private readonly settings: PollSettings,
  ) {
    super(parts)
  }

  /**
   * One poll. Few jobs: getJob each. Many, or discovering: one list call per active status, then
   * getJob for at most DETAIL_BUDGET jobs (those that left the active lists first: they probably
   * ended; then running ones in turn, for their current step).
   */
  async pollOnce(startedAt: number): Promise<void> {
    const open = this.followed.openJobIds()
    const listed = this.followed.discover || open.length > DETAIL_BUDGET ? await this.listActiveJobs() : null
    const ids = listed ? this.pickDetailIds(open, listed) : open
    const answers = await Promise.allSettled(ids.map((id) => this.client.getJob(id)))
    for (const answer of answers) if (answer.status === 'rejected' && !isGone(answer.reason)) throw answer.reason
    // Back in touch: say so before showing what happened meanwhile.
    this.outage.restored()
    const detailed = new Set(ids.filter((_, index) => answers[index].status === 'fulfilled'))
    for (const job of listed?.values() ?? []) if (!detailed.has(job.job_id)) this.followed.apply(job, 'list', startedAt)
    for (const [index, answer] of answers.entries()) {
      if (answer.status === 'fulfilled') this.followed.apply(answer.value, 'detail', startedAt)
      else this.followed.markGone(ids[index])
    }
  }

  /** Polls every interval (start to start) until the signal aborts; `lastStart` is when the first poll started. */
  async run(lastStart: number): Promise<void> {
    const {intervalMs} = this.settings
    let previousStart = lastStart
    while (!this.signal.aborted) {
      await this.sleepUntil(previousStart + this.currentIntervalMs())
      // Woken early or not, never poll more often than the interval.
      await sleep(previousStart + intervalMs - Date.now(), undefined, {signal: this.signal}).catch(() => {})
      if (this.signal.aborted) return
      previousStart = Date.now()
      try {
        await this.pollOnce(previousStart)
        this.outage.restored()
      } catch (error) {
        this.outage.lost(error)
      }
    }
  }

  /** Polls now rather than at the next tick (the stream dropped, or cannot tell what a new job is), within the interval. */
  wake(): void {
    this.wakeUp?.()
  }

  private currentIntervalMs(): number {
    const {intervalMs, pushCovers} = this.settings
    return pushCovers() ? Math.max(PUSH_RESYNC_MS, intervalMs) : intervalMs
  }

  /**
   * One page per active status. When discovering with a repository filter on a server that
   * filters (job_filters), one per status and repository: its answer tells the repository of
   * jobs whose wire form does not.
   */
  private async listActiveJobs(): Promise<Map<string, Job>> {
    const {repositories, types} = this.followed.discover ? this.settings : {repositories: [], types: []}
    const serverFilters = repositories.length > 0 && serverListsExactly(await this.settings.features())
    const perStatus = serverFilters ? [...repositories] : [undefined]
    const queries: ListQuery[] = ACTIVE_LIST_STATUSES.flatMap((status) =>
      perStatus.map((repository) => ({
        statuses: [status],
        types: types.length > 0 ? [...types] : undefined,
        repository,
      })),
    )
    const pages = await Promise.all(
      queries.map((query) => this.client.listPage(query, {limit: LIST_PAGE_SIZE, offset: 0})),
    )
    const listed = new Map<string, Job>()
    for (const [index, page] of pages.entries()) {
      const {repository} = queries[index]
      for (const job of page.jobs)
        listed.set(job.job_id, job.repository === null && repository ? {...job, repository} : job)
    }

    return listed
  }

  private pickDetailIds(open: string[], listed: Map<string, Job>): string[] {
    const missing = open.filter((id) => !listed.has(id))
    const running = open.filter((id) => listed.get(id)?.status === 'running')
    this.detailCursor += 1
    const picked = rotate(missing, this.detailCursor, DETAIL_BUDGET)
    return [...picked, ...rotate(running, this.detailCursor, DETAIL_BUDGET - picked.length)]
  }

  /** Sleeps until `deadline`, or less when woken (polling must take over at once). */
  private async sleepUntil(deadline: number): Promise<void> {
    const delay = deadline - Date.now()
    if (delay <= 0) return
    const woken = new Promise<void>((resolve) => {
      this.wakeUp = resolve
    })
    await Promise.race([sleep(delay, undefined, {signal: this.signal}).catch(() => {}), woken])
    this.wakeUp = undefined
  }
}
