/**
 * Following jobs until they end, for the commands that wait (`jobs watch`, `jobs status --wait`):
 * the watch engine feeds a renderer until every job followed has ended; Ctrl-C (exit 130) or the
 * timeout (exit 124) stops it, never the jobs.
 */

import type {Duration} from '../flags.js'
import type {Job} from '../jobs/job.js'
import type {WatchRenderer} from './watch-render.js'

import {NotFoundError} from '../errors.js'
import {ExitCode, exitCodeForStatus, worstExitCode} from '../exit-codes.js'
import {createStopSignal} from '../support/stop-signal.js'
import {JobWatcher, type WatchClient, type WatchOptions} from './job-watcher.js'

export interface FollowOptions extends Omit<WatchOptions, 'signal'> {
  /** Called with every job seen, however following ended (to remember them); its failure is not caught. */
  onSeen?: (jobs: Job[]) => Promise<void>
  /** Where the events go; none: followed in silence. */
  renderer?: WatchRenderer
  /** Give up after this long (WaitTimeoutError, whose message quotes the duration as written). */
  timeout?: Duration
}

/** What following saw: the last state of every job, and those the server stopped knowing. */
export type Followed = Pick<JobWatcher, 'gone' | 'jobs'>

/** Follows until every job has ended; throws what stopped it early (Ctrl-C, timeout, a lost server). */
export async function followJobs(client: WatchClient, options: FollowOptions): Promise<Followed> {
  const {timeout, renderer, onSeen, ...watchOptions} = options
  const stop = createStopSignal({timeoutMs: timeout?.value, timeoutLabel: timeout?.text})
  const watcher = new JobWatcher(client, {...watchOptions, signal: stop.signal})
  try {
    for await (const event of watcher.events()) renderer?.handle(event)
    await renderer?.close()
  } catch (error) {
    await renderer?.close(error as Error)
    throw error
  } finally {
    stop.dispose()
    await onSeen?.([...watcher.jobs.values()])
  }

  return watcher
}

/** Follows one job to its end and returns its last state; NotFoundError when the server loses it meanwhile. */
export async function followJob(client: WatchClient, job: Job, options: Omit<FollowOptions, 'jobIds'>): Promise<Job> {
  const followed = await followJobs(client, {...options, jobIds: [job.job_id]})
  if (followed.gone.has(job.job_id)) throw new NotFoundError(`Job ${job.job_id} is no longer found on the server.`)
  return followed.jobs.get(job.job_id) ?? job
}

/** How the followed jobs ended, as one exit code: the worst of them (a job gone counts as not found). */
export function followedExitCode(followed: Followed): number {
  const codes = [...followed.jobs.values()].map((job) =>
    followed.gone.has(job.job_id) ? ExitCode.NOT_FOUND : exitCodeForStatus(job.status),
  )
  return worstExitCode(codes)
}
