import {ProtocolError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import {isRecord} from '../support/json.js'
import {answeringNode, type ClusterNode, normalizeNodes} from './cluster-nodes.js'

export type {ClusterNode} from './cluster-nodes.js'

/**
 * The answer of `GET /health` in one shape, whichever server sent it. A real CIDX server sends
 * `uptime`, `message`, `job_queue` {active_jobs, pending_jobs, failed_jobs} and
 * `system_resources`; the local server sends `uptime_seconds`, `reasons` and `jobs` with stuck
 * jobs, the oldest pending job's age and the failures of the last hour. What a server does not
 * say is null, never a guess.
 */

/** A running job whose progress has not moved for longer than the server's threshold. */
export interface StuckJob {
  job_id: string
  operation_type: null | string
  seconds_since_progress: null | number
}

export interface JobQueueHealth {
  failed: null | number
  failed_last_hour: null | number
  oldest_pending_age_s: null | number
  pending: null | number
  running: null | number
  /** How many jobs are stuck. */
  stuck: null | number
  /** The stuck jobs the caller may see by ID (the local server names them to a caller with a token). */
  stuck_jobs: null | StuckJob[]
  /** How many jobs the server runs at once: the pending ones beyond it are the backlog. */
  workers: null | number
}

export interface ServerHealth {
  job_queue: JobQueueHealth
  message: null | string
  /** The cluster node that answered (the local server in cluster mode), else null. */
  node: null | string
  /** The cluster's nodes (the local server in cluster mode), else null. */
  nodes: ClusterNode[] | null
  /** Why the server is not healthy, one reason each (the local server). */
  reasons: string[]
  /** System resources as the server sent them, or null. */
  resources: null | Record<string, unknown>
  /** `healthy`, `degraded`, `unhealthy`, or whatever else the server says (lower case). */
  status: string
  uptime_s: null | number
  version: null | string
}

type Raw = Record<string, unknown>

/** A count or a number of seconds: finite and not negative, else unknown. */
function amount(value: unknown): null | number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null
}

function firstAmount(...values: unknown[]): null | number {
  for (const value of values) {
    const number = amount(value)
    if (number !== null) return number
  }

  return null
}

function textOrNull(value: unknown): null | string {
  return typeof value === 'string' && value.trim() !== '' ? value : null
}

function stuckJobsOf(value: unknown): null | StuckJob[] {
  if (!Array.isArray(value)) return null
  return value
    .filter((entry): entry is Raw => isRecord(entry) && textOrNull(entry.job_id) !== null)
    .map((entry) => ({
      job_id: entry.job_id as string,
      operation_type: textOrNull(entry.operation_type),
      seconds_since_progress: amount(entry.seconds_since_progress),
    }))
}

/** Failed jobs: the real server's `failed_jobs`, or the local server's count by status (a status it omits has none). */
function failedCount(queue: Raw, jobs: Raw): null | number {
  const real = amount(queue.failed_jobs)
  if (real !== null) return real
  return isRecord(jobs.by_status) ? (amount(jobs.by_status.failed) ?? 0) : null
}

function jobQueueOf(body: Raw): JobQueueHealth {
  const queue = isRecord(body.job_queue) ? body.job_queue : {}
  const jobs = isRecord(body.jobs) ? body.jobs : {}
  const stuckJobs = stuckJobsOf(jobs.stuck)
  return {
    running: firstAmount(queue.active_jobs, jobs.running, body.active_jobs),
    pending: firstAmount(queue.pending_jobs, jobs.pending),
    failed: failedCount(queue, jobs),
    stuck: firstAmount(jobs.stuck_count, stuckJobs?.length),
    stuck_jobs: stuckJobs,
    oldest_pending_age_s: amount(jobs.oldest_pending_age_seconds),
    failed_last_hour: amount(jobs.failed_last_hour),
    workers: amount(jobs.workers),
  }
}

/** The body of `GET /health` (a 200, or a 503 with a body) as a `ServerHealth`; without a status it is no health answer. */
export function normalizeHealth(body: unknown): ServerHealth {
  if (!isRecord(body) || textOrNull(body.status) === null) {
    throw new ProtocolError('The server answered GET /health without a "status"')
  }

  return {
    status: (body.status as string).trim().toLowerCase(),
    message: textOrNull(body.message),
    version: textOrNull(body.version),
    uptime_s: firstAmount(body.uptime, body.uptime_seconds),
    job_queue: jobQueueOf(body),
    reasons: Array.isArray(body.reasons)
      ? body.reasons.filter((reason): reason is string => textOrNull(reason) !== null)
      : [],
    resources: isRecord(body.system_resources) ? body.system_resources : null,
    node: answeringNode(body.node),
    nodes: normalizeNodes(body.nodes),
  }
}

/** The exit code for monitoring scripts: 0 healthy, 13 degraded, 14 anything else the server reports. */
export function exitCodeForHealth(status: string): number {
  if (status === 'healthy') return ExitCode.OK
  if (status === 'degraded') return ExitCode.DEGRADED
  return ExitCode.UNHEALTHY
}
