import type pg from 'pg'

import type {JobRow} from '../../jobs/job-row.js'
import type {JobProcess, JobStorage, NewStoredJob, ProcessStorage, StoredJobRow} from '../storage.js'
import type {Queryable} from './transaction.js'

import {ACTIVE_LIST, FINISHED_LIST} from '../../jobs/job-row.js'
import {
  COLUMNS,
  type FinishedSummary,
  type JobChanges,
  type ListQuery,
  newJobColumns,
  toColumns,
} from '../../jobs/job-store.js'
import {RUNNING_START_PROGRESS} from '../../jobs/running-job.js'
import {nowMicros} from '../../time.js'
import {ActiveJobConflictError} from '../storage.js'

export {JOB_MIGRATIONS} from './job-table.js'

const UNIQUE_VIOLATION = '23505'
const INSERTED_COLUMNS = COLUMNS

/** `$n` placeholders numbered as values are added, so that no value is ever written into SQL. */
class Params {
  readonly values: unknown[] = []

  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

/** The listing's conditions and whether the tally can give its total (only user and status filters). */
function listConditions(query: ListQuery, owner: string | undefined, params: Params) {
  const conditions = [
    owner === undefined ? '' : `username = ${params.add(owner)}`,
    query.status === undefined ? '' : `status = ${params.add(query.status)}`,
    query.operationType === undefined ? '' : `operation_type = ${params.add(query.operationType)}`,
    query.repository === undefined ? '' : `repository = ${params.add(query.repository)}`,
    query.sinceUs === undefined ? '' : `created_us >= ${params.add(query.sinceUs)}`,
    query.untilUs === undefined ? '' : `created_us <= ${params.add(query.untilUs)}`,
  ].filter(Boolean)
  const tallied = [query.operationType, query.repository, query.sinceUs, query.untilUs].every((v) => v === undefined)
  return {where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', tallied}
}

/**
 * The PostgreSQL side of `JobStorage`: the reads answer as the SQLite `JobStore` does (same rows,
 * order and totals); each write that must be atomic across nodes is one statement. Orderings by
 * name use `COLLATE "C"`, SQLite's bytewise order, whatever the database's locale.
 */
export class PgJobStorage implements JobStorage {
  constructor(private readonly db: Queryable) {}

  async cancelPending(jobId: string, atUs: number): Promise<JobRow | undefined> {
    return this.one(
      `UPDATE jobs SET status = 'cancelled', error = NULL, completed_us = $2, updated_us = $2,
         current_phase = NULL, phase_detail = NULL
       WHERE job_id = $1 AND status = 'pending' RETURNING *`,
      [jobId, atUs],
    )
  }

  async cancelRequestedOn(node: string): Promise<string[]> {
    const found = await this.db.query<{job_id: string}>(
      `SELECT job_id FROM jobs WHERE status = 'running' AND node = $1 AND cancel_requested_us IS NOT NULL ORDER BY seq`,
      [node],
    )
    return found.rows.map((row) => row.job_id)
  }

  /** `SKIP LOCKED` passes over a job another claimer holds at this instant: no two get one job, none waits. */
  async claimNext(node: string, atUs: number): Promise<StoredJobRow | undefined> {
    return this.one(
      `UPDATE jobs SET status = 'running', node = $1, started_us = $2, updated_us = $2, progress = $3
        WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' AND params IS NOT NULL
                      ORDER BY created_us, seq LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [node, atUs, RUNNING_START_PROGRESS],
    )
  }

  async countFromTally(username?: string, status?: string): Promise<number> {
    const params = new Params()
    const conditions = [
      username === undefined ? '' : `username = ${params.add(username)}`,
      status === undefined ? '' : `status = ${params.add(status)}`,
    ].filter(Boolean)
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
    const row = await this.one<{n: number}>(
      `SELECT COALESCE(SUM(n), 0)::bigint AS n FROM job_counts ${where}`,
      params.values,
    )
    return row?.n ?? 0
  }

  async countsByStatus(): Promise<Record<string, number>> {
    return this.counts(
      'SELECT status AS key, SUM(n)::bigint AS n FROM job_counts GROUP BY status HAVING SUM(n) > 0 ORDER BY status COLLATE "C"',
    )
  }

  async countsByType(): Promise<Record<string, number>> {
    return this.counts(
      'SELECT operation_type AS key, COUNT(*) AS n FROM jobs GROUP BY operation_type ORDER BY operation_type COLLATE "C"',
    )
  }

  async failedSince(cutoffUs: number): Promise<number> {
    const row = await this.one<{n: number}>(
      "SELECT COUNT(*) AS n FROM jobs WHERE completed_us >= $1 AND status = 'failed'",
      [cutoffUs],
    )
    return row?.n ?? 0
  }

  /** Running jobs of `node` fail; the rows returned are as they were before (read under the same locks). */
  async failRunningOn(node: string, reason: string, atUs: number): Promise<StoredJobRow[]> {
    return this.failWhere(`status = 'running' AND node = $3`, [reason, atUs, node])
  }

  async findActive(operationType: string, repository: string, username?: string): Promise<JobRow | undefined> {
    const params = new Params()
    const conditions = [
      `repository = ${params.add(repository)}`,
      `operation_type = ${params.add(operationType)}`,
      `status IN (${ACTIVE_LIST})`,
      username === undefined ? '' : `username = ${params.add(username)}`,
    ].filter(Boolean)
    return this.one(
      `SELECT * FROM jobs WHERE ${conditions.join(' AND ')} ORDER BY created_us, seq LIMIT 1`,
      params.values,
    )
  }

  async finishedBefore(cutoffUs: number, limit: number): Promise<JobRow[]> {
    const found = await this.db.query<JobRow>(
      `SELECT * FROM jobs WHERE completed_us < $1 AND status IN (${FINISHED_LIST})
        UNION ALL SELECT * FROM jobs WHERE completed_us IS NULL AND created_us < $1 AND status IN (${FINISHED_LIST})
        LIMIT $2`,
      [cutoffUs, limit],
    )
    return found.rows
  }

  async finishedBeforeByStatus(cutoffUs: number): Promise<FinishedSummary[]> {
    const found = await this.db.query<FinishedSummary>(
      `SELECT status, COUNT(*) AS count, MIN(COALESCE(completed_us, created_us)) AS oldest_us,
         MAX(COALESCE(completed_us, created_us)) AS newest_us FROM jobs
        WHERE status IN (${FINISHED_LIST}) AND (completed_us < $1 OR (completed_us IS NULL AND created_us < $1))
        GROUP BY status ORDER BY status COLLATE "C"`,
      [cutoffUs],
    )
    return found.rows
  }

  async get(jobId: string): Promise<StoredJobRow | undefined> {
    return this.one('SELECT * FROM jobs WHERE job_id = $1', [jobId])
  }

  /** The partial unique index refuses a second active job of one key, whichever node inserts it. */
  async insert(job: NewStoredJob): Promise<StoredJobRow> {
    const row: Record<string, unknown> = {
      ...newJobColumns(job),
      active_key: job.active_key ?? null,
      params: job.params === undefined || job.params === null ? null : JSON.stringify(job.params),
    }
    const params = new Params()
    const placeholders = INSERTED_COLUMNS.map((column) => params.add(row[column]))
    try {
      const inserted = await this.db.query<StoredJobRow>(
        `INSERT INTO jobs (${INSERTED_COLUMNS.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`,
        params.values,
      )
      return inserted.rows[0]
    } catch (error) {
      const {code, constraint} = error as {code?: string; constraint?: string}
      if (code !== UNIQUE_VIOLATION || constraint !== 'jobs_one_active' || !job.active_key) throw error
      const holder = await this.one<JobRow>(
        `SELECT * FROM jobs WHERE active_key = $1 AND status IN (${ACTIVE_LIST}) ORDER BY created_us, seq LIMIT 1`,
        [job.active_key],
      )
      throw new ActiveJobConflictError(job.active_key, holder)
    }
  }

  /** One page, newest first, plus the true total. A filter on another user's name finds nothing for a non-admin. */
  async list(query: ListQuery): Promise<{rows: JobRow[]; total: number}> {
    if (query.viewer !== undefined && query.username !== undefined && query.viewer !== query.username)
      return {rows: [], total: 0}
    const owner = query.viewer ?? query.username
    const params = new Params()
    const {where, tallied} = listConditions(query, owner, params)
    const countValues = [...params.values]
    const page = this.db.query<JobRow>(
      `SELECT * FROM jobs ${where} ORDER BY created_us DESC, seq DESC LIMIT ${params.add(query.limit)} OFFSET ${params.add(query.offset)}`,
      params.values,
    )
    const total = tallied
      ? this.countFromTally(owner, query.status)
      : this.one<{n: number}>(`SELECT COUNT(*) AS n FROM jobs ${where}`, countValues).then((row) => row?.n ?? 0)
    const [rows, n] = await Promise.all([page, total])
    return {rows: rows.rows, total: n}
  }

  async oldestPending(): Promise<JobRow | undefined> {
    return this.one("SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_us, seq LIMIT 1")
  }

  /** Jobs a crash of the single server left pending or running become failed; returns them as they were. */
  async orphanActive(reason: string): Promise<JobRow[]> {
    return this.failWhere(`status IN (${ACTIVE_LIST})`, [reason, nowMicros()])
  }

  async requestCancel(jobId: string, atUs: number): Promise<void> {
    // The first ask is kept: the node's bound on ending the job counts from it.
    await this.db.query(
      `UPDATE jobs SET cancel_requested_us = COALESCE(cancel_requested_us, $2) WHERE job_id = $1 AND status = 'running'`,
      [jobId, atUs],
    )
  }

  async running(): Promise<StoredJobRow[]> {
    const found = await this.db.query<StoredJobRow>(
      "SELECT * FROM jobs WHERE status = 'running' ORDER BY updated_us, seq",
    )
    return found.rows
  }

  async runningSilentSince(cutoffUs: number): Promise<JobRow[]> {
    const found = await this.db.query<JobRow>(
      "SELECT * FROM jobs WHERE status = 'running' AND updated_us < $1 ORDER BY updated_us, seq",
      [cutoffUs],
    )
    return found.rows
  }

  /** Writes only the columns SQLite's store writes (the cluster's own have their own methods). */
  async update(jobId: string, changes: JobChanges): Promise<StoredJobRow | undefined> {
    const values = toColumns(changes)
    const names = Object.keys(values).filter((name) => (COLUMNS as readonly string[]).includes(name))
    if (names.length === 0) return this.get(jobId)
    const params = new Params()
    const sets = names.map((name) => `${name} = ${params.add(values[name])}`)
    return this.one(`UPDATE jobs SET ${sets.join(', ')} WHERE job_id = ${params.add(jobId)} RETURNING *`, params.values)
  }

  private async counts(sql: string): Promise<Record<string, number>> {
    const found = await this.db.query<{key: string; n: number}>(sql)
    return Object.fromEntries(found.rows.map((row) => [row.key, row.n]))
  }

  /**
   * Fails the matching jobs as SQLite's `orphanActive` does ($1 the reason, $2 the time). The CTE
   * reads and locks the rows before the update, so what it returns is each row as it was.
   */
  private async failWhere(condition: string, values: unknown[]): Promise<StoredJobRow[]> {
    const found = await this.db.query<StoredJobRow>(
      `WITH before AS (SELECT * FROM jobs WHERE ${condition} ORDER BY seq FOR UPDATE),
            ended AS (UPDATE jobs SET status = 'failed', error = $1, completed_us = $2, updated_us = $2,
                        current_phase = NULL, phase_detail = NULL
                       FROM before WHERE jobs.seq = before.seq RETURNING jobs.seq)
       SELECT before.* FROM before JOIN ended ON ended.seq = before.seq ORDER BY before.seq`,
      values,
    )
    return found.rows
  }

  private async one<T extends pg.QueryResultRow = StoredJobRow>(
    sql: string,
    values: unknown[] = [],
  ): Promise<T | undefined> {
    const found = await this.db.query<T>(sql, values)
    return found.rows[0]
  }
}

/** The git process groups of running jobs, per node. */
export class PgProcessStorage implements ProcessStorage {
  constructor(private readonly db: Queryable) {}

  async add({pgid, node, job_id: jobId, host = ''}: JobProcess): Promise<void> {
    // As SQLite's INSERT OR REPLACE: a reused group id now belongs to the newer job.
    await this.db.query(
      `INSERT INTO job_processes (pgid, node, job_id, host) VALUES ($1, $2, $3, $4)
        ON CONFLICT (node, pgid) DO UPDATE SET job_id = excluded.job_id, host = excluded.host`,
      [pgid, node, jobId, host],
    )
  }

  async clear(node: string): Promise<void> {
    await this.db.query('DELETE FROM job_processes WHERE node = $1', [node])
  }

  async of(node: string): Promise<JobProcess[]> {
    const found = await this.db.query<JobProcess>(
      'SELECT pgid, node, job_id, host FROM job_processes WHERE node = $1 ORDER BY pgid',
      [node],
    )
    return found.rows
  }

  async remove(pgid: number, node: string): Promise<void> {
    await this.db.query('DELETE FROM job_processes WHERE node = $1 AND pgid = $2', [node, pgid])
  }
}
