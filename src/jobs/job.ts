/**
 * The one normalized job shape. The client turns whatever the server sends into this;
 * nothing else in the CLI reads raw server JSON. It is also exactly what `--json` prints.
 */
export interface ProgressDetail {
  /** From `current_phase` (e.g. "index", "semantic"), else null. */
  current_step: null | string
  /** The raw `phase_detail` text, else null. */
  detailed_status: null | string
  /**
   * Seconds left, estimated by a watch from the progress it saw the job make over time
   * (watch/eta.ts); null in a single snapshot, and until enough progress was seen.
   */
  estimated_remaining: null | number
  /** From `phase_detail` like "150/500 files indexed": 150. */
  steps_completed: null | number
  /** From `phase_detail` like "150/500 files indexed": 500. */
  total_steps: null | number
}

export interface Job {
  completed_at: null | string
  /** ISO 8601 UTC (`...Z`) or null. */
  created_at: string
  /** The server's description, else a readable phrase such as "Sync repository backend". */
  description: string
  error_message: null | string
  job_id: string
  /** From `operation_type`. */
  job_type: string
  /**
   * The cluster node that claimed the job (the local server's extension `node`, sent in cluster
   * mode only), else null: a real CIDX server and a single local server never say.
   */
  node: null | string
  /** 0..100 (integers and fractions accepted on the wire, clamped). */
  progress: number
  progress_detail: ProgressDetail
  repository: null | string
  result: null | Record<string, unknown>
  started_at: null | string
  /**
   * `pending` becomes `queued`, and `completed` with `result.partial: true` (how a real server ends
   * a partial job) becomes `completed_partial`; any other value, known or not, is kept as sent.
   */
  status: string
  /** From `username` (`system` for scheduler jobs). */
  user_id: string
}

/** Statuses after which a job never changes again. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'completed_partial', 'failed', 'cancelled'])

/** Statuses a job is in while it is waiting or working. `resolving_prerequisites` counts as active. */
export const ACTIVE_STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'resolving_prerequisites'])

/** The statuses a user can name (`--status`), in display order. `pending` is accepted as `queued`. */
export const KNOWN_STATUSES = [
  'queued',
  'running',
  'resolving_prerequisites',
  'completed',
  'completed_partial',
  'failed',
  'cancelled',
] as const

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status)
}

/**
 * Newest first, as the server orders jobs. `created_at` is ISO 8601 UTC, which orders as its text
 * does: a plain comparison, where localeCompare would load ICU's collator (some 7 ms) for nothing.
 */
export function newestFirst(a: Pick<Job, 'created_at'>, b: Pick<Job, 'created_at'>): number {
  return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0
}
