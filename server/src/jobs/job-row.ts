import {pythonIso, pythonIsoOrNull} from '../time.js'

/** A row of the `jobs` table. Timestamps in microseconds; `result` as JSON text. */
export interface JobRow {
  completed_us: null | number
  created_us: number
  current_phase: null | string
  error: null | string
  job_id: string
  operation_type: string
  phase_detail: null | string
  progress: number
  repository: null | string
  result: null | string
  seq: number
  started_us: null | number
  status: string
  updated_us: number
  username: string
}

/** The Job object of the wire contract: exactly these 12 keys (`toWireJob` writes them in the contract's order). */
export interface WireJob {
  completed_at: null | string
  created_at: string
  current_phase: null | string
  error: null | string
  job_id: string
  operation_type: string
  phase_detail: null | string
  progress: number
  result: null | Record<string, unknown>
  started_at: null | string
  status: string
  username: string
}

/** A wire job with the extension a cluster adds: the node that runs or ran it. */
export type ClusterWireJob = WireJob & {node?: string}

export const ACTIVE_STATUSES = ['pending', 'running'] as const
export const FINISHED_STATUSES = ['completed', 'completed_partial', 'failed', 'cancelled'] as const

/** The statuses as SQL lists for `status IN (...)`, the same text in both stores' queries. */
export const ACTIVE_LIST = ACTIVE_STATUSES.map((status) => `'${status}'`).join(', ')
export const FINISHED_LIST = FINISHED_STATUSES.map((status) => `'${status}'`).join(', ')

/** Listings leave the phase out, as the real server does; single-job reads and events carry it. */
export function toWireJob(row: JobRow & {node?: null | string}, withPhase: boolean): ClusterWireJob {
  const wire: ClusterWireJob = {
    job_id: row.job_id,
    operation_type: row.operation_type,
    status: row.status,
    created_at: pythonIso(row.created_us),
    started_at: pythonIsoOrNull(row.started_us),
    completed_at: pythonIsoOrNull(row.completed_us),
    progress: row.progress,
    result: row.result === null ? null : (JSON.parse(row.result) as Record<string, unknown>),
    error: row.error,
    username: row.username,
    current_phase: withPhase ? row.current_phase : null,
    phase_detail: withPhase ? row.phase_detail : null,
  }
  // A single server has no node name (''): its jobs carry exactly the contract's 12 keys.
  if (row.node) wire.node = row.node
  return wire
}
