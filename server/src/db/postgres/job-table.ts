import type pg from 'pg'

import type {Migration} from './migrate.js'

import {ACTIVE_STATUSES, type JobRow} from '../../jobs/job-row.js'
import {COLUMNS, type NewJob, newJobColumns} from '../../jobs/job-store.js'
import {RUNNING_START_PROGRESS} from '../../jobs/running-job.js'

const ACTIVE_LIST = ACTIVE_STATUSES.map((status) => `'${status}'`).join(', ')

/**
 * The `jobs` table on PostgreSQL: SQLite's columns and listing indexes, plus the node running a
 * job, a cancel asked for from any node, and `active_key`, which the partial unique index keeps
 * to one pending or running job (the 409 rule) across every node at once.
 */
export const JOB_TABLE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  operation_type TEXT NOT NULL,
  status TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  started_us BIGINT,
  completed_us BIGINT,
  updated_us BIGINT NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  username TEXT NOT NULL,
  current_phase TEXT,
  phase_detail TEXT,
  repository TEXT,
  node TEXT,
  cancel_requested_us BIGINT,
  active_key TEXT
);
CREATE INDEX jobs_by_user ON jobs (username, created_us);
CREATE INDEX jobs_by_user_status ON jobs (username, status, created_us);
CREATE INDEX jobs_by_created ON jobs (created_us);
CREATE INDEX jobs_by_status ON jobs (status, created_us);
CREATE INDEX jobs_by_repository ON jobs (repository, created_us);
CREATE INDEX jobs_by_user_repository ON jobs (username, repository, created_us);
CREATE INDEX jobs_by_completed ON jobs (completed_us) WHERE completed_us IS NOT NULL;
-- The claim's subselect: one probe, however many jobs ended.
CREATE INDEX jobs_pending ON jobs (created_us, seq) WHERE status = 'pending';
CREATE INDEX jobs_running_by_node ON jobs (node) WHERE status = 'running';
CREATE UNIQUE INDEX jobs_one_active ON jobs (active_key)
  WHERE status IN (${ACTIVE_LIST}) AND active_key IS NOT NULL;
`,
  },
]

/** A job to record; `active_key` names what only one active job may hold at a time (null: nothing). */
export type NewClusterJob = NewJob & {active_key?: null | string}

/** A row of the PostgreSQL `jobs` table: SQLite's columns and the cluster's own. */
export type ClusterJobRow = JobRow & {
  active_key: null | string
  cancel_requested_us: null | number
  node: null | string
}

/** An insert refused because another pending or running job holds the same `active_key`. */
export class ActiveJobConflictError extends Error {
  constructor(readonly activeKey: string) {
    super(`Another active job holds ${activeKey}`)
    this.name = 'ActiveJobConflictError'
  }
}

/** A pool, or one client of it (inside a transaction of the caller's). */
export type Queryable = Pick<pg.ClientBase, 'query'>

const UNIQUE_VIOLATION = '23505'

/** Records a job; the database refuses it with `ActiveJobConflictError` while another active job holds its key. */
export async function insertJob(db: Queryable, job: NewClusterJob): Promise<ClusterJobRow> {
  const values = newJobColumns(job)
  const columns = [...COLUMNS, 'active_key'] as const
  const row = {...values, active_key: job.active_key ?? null}
  try {
    const inserted = await db.query<ClusterJobRow>(
      `INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map((_, at) => `$${at + 1}`).join(', ')}) RETURNING *`,
      columns.map((column) => row[column]),
    )
    return inserted.rows[0]
  } catch (error) {
    const {code, constraint} = error as {code?: string; constraint?: string}
    if (code === UNIQUE_VIOLATION && constraint === 'jobs_one_active' && job.active_key)
      throw new ActiveJobConflictError(job.active_key)
    throw error
  }
}

/**
 * Takes the oldest pending job for `node` and marks it running, or returns undefined when none
 * is free. `SKIP LOCKED` passes over a job another claimer holds at this instant, so no two
 * claimers ever get one job and none waits for another.
 */
export async function claimNextJob(db: Queryable, node: string, nowUs: number): Promise<ClusterJobRow | undefined> {
  const claimed = await db.query<ClusterJobRow>(
    `UPDATE jobs SET status = 'running', node = $1, started_us = $2, updated_us = $2, progress = $3
      WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' ORDER BY created_us, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [node, nowUs, RUNNING_START_PROGRESS],
  )
  return claimed.rows[0]
}
