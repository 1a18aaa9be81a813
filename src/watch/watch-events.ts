/** What the watch engine takes (options) and yields (events). */
import type {Job} from '../jobs/job.js'
import type {JobsClient} from '../client/jobs-client.js'

/** The part of JobsClient the engine uses. */
export type WatchClient = Pick<JobsClient, 'getJob' | 'listPage' | 'serverFeatures' | 'streamJobEvents'>

export type JobChange = 'new' | 'status' | 'progress' | 'step' | 'error' | 'timestamps' | 'repository' | 'result'

export interface JobChangeEvent {
  type: 'job'
  job: Job
  previous: Job | null
  changes: JobChange[]
  at: Date
}

/** A followed job the server no longer knows (cleaned up, or no longer visible to the caller). */
export interface JobGoneEvent {
  type: 'gone'
  jobId: string
  previous: Job
  at: Date
}

export interface ReconnectingEvent {
  type: 'reconnecting'
  reason: string
  at: Date
}

export interface ReconnectedEvent {
  type: 'reconnected'
  downForMs: number
  at: Date
}

/** The server turned the event stream away (too many open for the caller): polling from here on. */
export interface PushRefusedEvent {
  type: 'push_refused'
  reason: string
  at: Date
}

export type WatchEvent = JobChangeEvent | JobGoneEvent | ReconnectingEvent | ReconnectedEvent | PushRefusedEvent

export interface WatchOptions {
  /** Full job IDs to follow. Empty or absent: every active job the caller can see, and new ones as they start. */
  jobIds?: readonly string[]
  /** When discovering: only these job types (any when empty). */
  types?: readonly string[]
  /** When discovering: only jobs on these repositories (any when empty). */
  repositories?: readonly string[]
  /** Polling period (start to start), and the ceiling on how stale a change can be when polling. */
  intervalMs?: number
  /** How long the server may stay unreachable before watching gives up with NetworkError. */
  reconnectGraceMs?: number
  /** false forces polling even when the server offers push. */
  push?: boolean
  /** Aborting stops watching: the iterator throws the reason when it is a CliError, else InterruptedError. */
  signal?: AbortSignal
}

export type WatchMode = 'push' | 'poll'

/** Where a snapshot came from: the event stream, a listing (no phase details), or the job itself. */
export type SnapshotSource = 'push' | 'list' | 'detail'
