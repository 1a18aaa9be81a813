/**
 * The watch engine behind `cidx jobs watch` and `cidx jobs status --wait`.
 *
 * It follows a set of jobs (given IDs, or every active job the caller can see, picking up new
 * ones) and yields an event whenever one of them changes, until all of them have ended.
 * Changes arrive by push (the server's event stream) when the server offers it, else by
 * polling with a bounded number of requests per interval however many jobs are followed.
 * A server that turns the stream away (too many open) is polled instead, and the watch says so.
 * A server that goes away yields "reconnecting"; watching resumes when it is back, and gives
 * up with a NetworkError (exit 5) after a grace period.
 */
import type {JobsClient} from '../client/jobs-client.js'
import type {Job} from '../jobs/job.js'

import {untilAborted} from '../support/abort.js'
import {EventQueue} from '../support/event-queue.js'
import {FollowedJobs} from './followed-jobs.js'
import {JobPoller} from './poll-source.js'
import {JobStream, type StreamListener} from './push-source.js'
import {abortError, Outage} from './watch-policy.js'

/** The part of JobsClient the engine uses. */
export type WatchClient = Pick<JobsClient, 'getJob' | 'listPage' | 'serverFeatures' | 'streamJobEvents'>

export type JobChange = 'error' | 'new' | 'progress' | 'repository' | 'result' | 'status' | 'step' | 'timestamps'

export interface JobChangeEvent {
  at: Date
  changes: JobChange[]
  job: Job
  previous: Job | null
  type: 'job'
}

/** A followed job the server no longer knows (cleaned up, or no longer visible to the caller). */
export interface JobGoneEvent {
  at: Date
  jobId: string
  previous: Job
  type: 'gone'
}

export interface ReconnectingEvent {
  at: Date
  reason: string
  type: 'reconnecting'
}

export interface ReconnectedEvent {
  at: Date
  downForMs: number
  type: 'reconnected'
}

/** The server turned the event stream away (too many open for the caller): polling from here on. */
export interface PushRefusedEvent {
  at: Date
  reason: string
  type: 'push_refused'
}

/** Following (`follow`): no followed job is active any more, and watching goes on for new ones. */
export interface IdleEvent {
  at: Date
  type: 'idle'
}

export type WatchEvent =
  IdleEvent | JobChangeEvent | JobGoneEvent | PushRefusedEvent | ReconnectedEvent | ReconnectingEvent

export interface WatchOptions {
  /**
   * When discovering: watch on for new jobs after the followed ones have ended (or when none is
   * active), until the signal aborts; an `idle` event says when no followed job is active.
   */
  follow?: boolean
  /** Polling period (start to start), and the ceiling on how stale a change can be when polling. */
  intervalMs?: number
  /** Full job IDs to follow. Empty or absent: every active job the caller can see, and new ones as they start. */
  jobIds?: readonly string[]
  /** false forces polling even when the server offers push. */
  push?: boolean
  /** How long the server may stay unreachable before watching gives up with NetworkError. */
  reconnectGraceMs?: number
  /** When discovering: only jobs on these repositories (any when empty). */
  repositories?: readonly string[]
  /** Aborting stops watching: the iterator throws the reason when it is a CliError, else InterruptedError. */
  signal?: AbortSignal
  /** When discovering: only these job types (any when empty). */
  types?: readonly string[]
}

export type WatchMode = 'poll' | 'push'

/** Where a snapshot came from: the event stream, a listing (no phase details), or the job itself. */
export type SnapshotSource = 'detail' | 'list' | 'push'

/** What the poll and push sources of one watch share. */
export interface WatchParts {
  client: WatchClient
  followed: FollowedJobs
  outage: Outage
  signal: AbortSignal
}

export const DEFAULT_INTERVAL_MS = 1000
export const DEFAULT_RECONNECT_GRACE_MS = 60_000

export class JobWatcher {
  private readonly followed: FollowedJobs
  private modeValue: WatchMode = 'poll'
  private readonly outage: Outage
  /** Made once the server's features are known. */
  private poller: JobPoller | undefined
  private readonly queue = new EventQueue<WatchEvent>()
  private readonly stopper = new AbortController()
  private stream: JobStream | undefined

  constructor(
    private readonly client: WatchClient,
    private readonly options: WatchOptions = {},
  ) {
    this.followed = new FollowedJobs(options, this.queue, () => this.poller?.wake())
    this.outage = new Outage(options.reconnectGraceMs ?? DEFAULT_RECONNECT_GRACE_MS, (event) => this.queue.push(event))
  }

  /** Followed jobs the server stopped knowing about. */
  get gone(): Set<string> {
    return this.followed.gone
  }

  /** The latest snapshot of every job followed so far. */
  get jobs(): Map<string, Job> {
    return this.followed.jobs
  }

  /** Push or poll; known once watching has started. */
  get mode(): WatchMode {
    return this.modeValue
  }

  /**
   * Every change, starting with one event per followed job (its first snapshot), until all of
   * them have ended. Throws NotFoundError when a given ID does not exist, NetworkError when the
   * server stays away longer than the grace period, and the abort reason when the signal aborts.
   */
  async *events(): AsyncGenerator<WatchEvent> {
    const {signal} = this.options
    if (signal?.aborted) throw abortError(signal)
    const onAbort = () => this.queue.fail(abortError(signal!))
    signal?.addEventListener('abort', onAbort, {once: true})
    try {
      // A request in flight when the signal aborts is left behind.
      await untilAborted(this.start(), signal, abortError)
      yield* this.queue.drain()
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.stopper.abort()
    }
  }

  private background(loop: Promise<void>): void {
    loop.catch((error: unknown) => {
      if (!this.stopper.signal.aborted) this.queue.fail(error)
    })
  }

  private async fetchGivenJobs(startedAt: number): Promise<void> {
    const jobs = await Promise.all([...this.followed.givenIds].map((id) => this.client.getJob(id)))
    for (const job of jobs) this.followed.apply(job, 'detail', startedAt)
  }

  /** Whether the event stream is live, so the poller may slow down. */
  private pushCovers(): boolean {
    return this.stream?.live === true && !this.outage.ongoing
  }

  private async start(): Promise<void> {
    const startedAt = Date.now()
    // Features are asked after the first answer, which names them: no extra request (see serverFeatures).
    const features = this.client.serverFeatures.bind(this.client)
    const {intervalMs = DEFAULT_INTERVAL_MS, types = [], repositories = []} = this.options
    const parts: WatchParts = {
      client: this.client,
      followed: this.followed,
      outage: this.outage,
      signal: this.stopper.signal,
    }
    const poller = new JobPoller(parts, {
      intervalMs,
      types,
      repositories,
      features,
      pushCovers: this.pushCovers.bind(this),
    })
    this.poller = poller
    await (this.followed.discover ? poller.pollOnce(startedAt) : this.fetchGivenJobs(startedAt))
    this.modeValue = this.options.push !== false && (await features()).has('job_events') ? 'push' : 'poll'
    this.followed.settled()
    if (this.followed.finished()) return

    this.background(poller.run(startedAt))
    if (this.modeValue === 'push') {
      const listener: StreamListener = {
        dropped: () => poller.wake(),
        gaveUp: (refusal) => {
          this.modeValue = 'poll'
          if (refusal) this.queue.push(refusal)
          poller.wake()
        },
      }
      this.stream = new JobStream(parts, listener)
      this.background(this.stream.run())
    }
  }
}
