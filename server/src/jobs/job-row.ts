import {pythonIso, pythonIsoOrNull} from '../time.js'

/** A row of the `jobs` table. Timestamps in microseconds; `result` as JSON text. */
export interface JobRow {
  seq: number
  job_id: string
  operation_type: string
  status: string
  created_us: number
  started_us: number | null
  completed_us: number | null
  updated_us: number
  progress: number
  result: string | null
  error: string | null
  username: string
  current_phase: string | null
  phase_detail: string | null
  repository: string | null
}

/** The Job object of the wire contract: exactly these 12 keys, in this order. */
export interface WireJob {
  job_id: string
  operation_type: string
  status: string
  created_at: string
  started_at: string | null
  completed_at: string | null
  progress: number
  result: Record<string, unknown> | null
  error: string | null
  username: string
  current_phase: string | null
  phase_detail: string | null
}

export const ACTIVE_STATUSES = ['pending', 'running'] as const
export const FINISHED_STATUSES = ['completed', 'completed_partial', 'failed', 'cancelled'] as const

/** Listings leave the phase out, as the real server does; single-job reads and events carry it. */
export function toWireJob(row: JobRow, withPhase: boolean): WireJob {
  return {
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
}
