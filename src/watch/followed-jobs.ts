/**
 * The jobs a watch follows: which snapshots to take in, what changed between two of them, and
 * when every followed job has ended. Events go to the queue the watcher's iterator drains.
 */

import type {EventQueue} from '../support/event-queue.js'
import type {JobChange, SnapshotSource, WatchEvent, WatchOptions} from './job-watcher.js'

import {isTerminal, type Job} from '../jobs/job.js'
import {EtaEstimator} from './eta.js'

/** What changed between two snapshots of a job. The ETA is left out: it moves with the clock alone. */
export function jobChanges(previous: Job | null, next: Job): JobChange[] {
  if (!previous) return ['new']
  const a = previous.progress_detail
  const b = next.progress_detail
  const changes: JobChange[] = []
  if (previous.status !== next.status) changes.push('status')
  if (previous.progress !== next.progress) changes.push('progress')
  if (
    a.current_step !== b.current_step ||
    a.steps_completed !== b.steps_completed ||
    a.total_steps !== b.total_steps ||
    a.detailed_status !== b.detailed_status
  ) {
    changes.push('step')
  }

  if (previous.error_message !== next.error_message) changes.push('error')
  if (previous.started_at !== next.started_at || previous.completed_at !== next.completed_at) changes.push('timestamps')
  if (previous.repository !== next.repository) changes.push('repository')
  if (JSON.stringify(previous.result) !== JSON.stringify(next.result)) changes.push('result')
  return changes
}

/**
 * What a new snapshot lacks but an earlier one knew: a listing carries no phase details, and
 * the wire job names no repository until its result does (the repository never changes).
 */
function withKnownOf(previous: Job, next: Job, source: SnapshotSource): Job {
  let merged = next
  if (next.repository === null && previous.repository !== null) {
    merged = {...merged, repository: previous.repository, description: previous.description}
  }

  const detail = next.progress_detail
  if (source === 'list' && detail.current_step === null && detail.detailed_status === null) {
    const {current_step, steps_completed, total_steps, detailed_status} = previous.progress_detail
    merged = {...merged, progress_detail: {...detail, current_step, steps_completed, total_steps, detailed_status}}
  }

  return merged
}

export class FollowedJobs {
  /** No IDs given: every active job that matches the filters, including new ones. */
  readonly discover: boolean
  /** Discovering, and on after the jobs end: never finished, idle whenever no followed job is active. */
  readonly follow: boolean
  readonly givenIds: ReadonlySet<string>
  /** Followed jobs the server stopped knowing about. */
  readonly gone = new Set<string>()
  /** The latest snapshot of every job followed so far. */
  readonly jobs = new Map<string, Job>()
  /** The time left of each running job, from the progress seen of it. */
  private readonly eta = new EtaEstimator()
  /** When the stream last told us about a job: a poll answer started before that is older news. */
  private readonly pushedAt = new Map<string, number>()

  constructor(
    private readonly options: Pick<WatchOptions, 'follow' | 'jobIds' | 'repositories' | 'types'>,
    private readonly queue: EventQueue<WatchEvent>,
    /** Asks for the next poll now (see maybeOnFilteredRepository). */
    private readonly pollSoon: () => void,
  ) {
    this.givenIds = new Set(options.jobIds)
    this.discover = this.givenIds.size === 0
    this.follow = this.discover && options.follow === true
  }

  /** Takes a snapshot in; queues an event when something the user can see changed. */
  apply(job: Job, source: SnapshotSource, requestedAt: number): void {
    const id = job.job_id
    const previous = this.jobs.get(id) ?? null
    if (!previous && !this.wants(job)) {
      if (source === 'push' && this.maybeOnFilteredRepository(job)) this.pollSoon()
      return
    }

    if (previous && (isTerminal(previous.status) || this.gone.has(id))) return
    if (source === 'push') this.pushedAt.set(id, Date.now())
    else if ((this.pushedAt.get(id) ?? -1) >= requestedAt) return
    const next = this.eta.estimate(previous ? withKnownOf(previous, job, source) : job)
    const changes = jobChanges(previous, next)
    this.jobs.set(id, next)
    if (changes.length > 0) this.queue.push({type: 'job', job: next, previous, changes, at: new Date()})
    if (isTerminal(next.status)) this.settled()
  }

  finished(): boolean {
    if (this.follow) return false
    // Given jobs not fetched yet are not finished (the first ones may already be in).
    for (const id of this.givenIds) if (!this.jobs.has(id)) return false
    for (const job of this.jobs.values()) {
      if (!isTerminal(job.status) && !this.gone.has(job.job_id)) return false
    }

    return true
  }

  markGone(id: string): void {
    const previous = this.jobs.get(id)
    if (!previous || this.gone.has(id)) return
    this.gone.add(id)
    this.queue.push({type: 'gone', jobId: id, previous, at: new Date()})
    this.settled()
  }

  openJobIds(): string[] {
    return [...this.jobs.values()]
      .filter((job) => !isTerminal(job.status) && !this.gone.has(job.job_id))
      .map((job) => job.job_id)
  }

  /** A followed job ended or went: the watch is over when it was the last one, or (following) idle. */
  settled(): void {
    if (this.finished()) this.queue.close()
    else if (this.follow && this.openJobIds().length === 0) this.queue.push({type: 'idle', at: new Date()})
  }

  private matchesFilters(job: Job): boolean {
    const {repositories = [], types = []} = this.options
    if (types.length > 0 && !types.includes(job.job_type)) return false
    return repositories.length === 0 || (job.repository !== null && repositories.includes(job.repository))
  }

  /**
   * The wire job names no repository until its result does; a server with filters knows it.
   * So a new job of unknown repository, pushed while a repository filter applies, is left to
   * the next poll's server-filtered listing, which is brought forward.
   */
  private maybeOnFilteredRepository(job: Job): boolean {
    return (
      this.discover &&
      job.repository === null &&
      (this.options.repositories ?? []).length > 0 &&
      !isTerminal(job.status)
    )
  }

  /** Whether a job not followed yet should be: one of the given IDs, or (discovering) an active job that matches the filters. */
  private wants(job: Job): boolean {
    if (!this.discover) return this.givenIds.has(job.job_id)
    return !isTerminal(job.status) && this.matchesFilters(job)
  }
}
