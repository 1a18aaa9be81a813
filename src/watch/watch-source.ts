import type {FollowedJobs} from './followed-jobs.js'
import type {WatchClient, WatchParts} from './job-watcher.js'
import type {Outage} from './watch-policy.js'

/** What a source of job states (the poller, the event stream) shares with the watch that runs it. */
export abstract class WatchSource {
  protected readonly client: WatchClient
  protected readonly followed: FollowedJobs
  protected readonly outage: Outage
  protected readonly signal: AbortSignal

  constructor(parts: WatchParts) {
    this.client = parts.client
    this.followed = parts.followed
    this.outage = parts.outage
    this.signal = parts.signal
  }
}
