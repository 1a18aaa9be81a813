import type {Statement} from 'better-sqlite3'

import type {Db} from '../db/database.js'

import {ActiveJobConflictError, type StoredJobRow} from '../db/storage.js'
import {nowMicros} from '../time.js'
import {ACTIVE_LIST, FINISHED_LIST, type JobRow} from './job-row.js'
import {RUNNING_START_PROGRESS} from './running-job.js'

export interface NewJob {
  /** What only one pending or running job may hold at a time (the 409 rule); null for jobs outside it. */
  active_key?: null | string
  completed_us?: null | number
  created_us: number
  current_phase?: null | string
  error?: null | string
  job_id: string
  operation_type: string
  /** What the job's handler runs it with; null: not runnable here (a seeded row). Stored as JSON. */
  params?: null | object
  phase_detail?: null | string
  progress?: number
  repository?: null | string
  result?: null | Record<string, unknown>
  started_us?: null | number
  status: string
  updated_us?: number
  username: string
}

/** Finished jobs of one status before a cutoff: their count and the end times (µs) of the oldest and newest. */
export interface FinishedSummary {
  count: number
  newest_us: number
  oldest_us: number
  status: string
}

export type JobChanges = Partial<Omit<NewJob, 'job_id'>> & {cancel_requested_us?: null | number; node?: null | string}

export interface ListQuery {
  limit: number
  offset: number
  operationType?: string
  repository?: string
  sinceUs?: number
  status?: string
  untilUs?: number
  username?: string
  /** Set for non-admins: they only ever see their own jobs. */
  viewer?: string
}

/** The stored columns of a job, `seq` aside (the database numbers it). */
export const COLUMNS = [
  'job_id',
  'operation_type',
  'status',
  'created_us',
  'started_us',
  'completed_us',
  'updated_us',
  'progress',
  'result',
  'error',
  'username',
  'current_phase',
  'phase_detail',
  'repository',
  'params',
  'active_key',
  'node',
  'cancel_requested_us',
] as const

const FINISHED_BEFORE = `status IN (${FINISHED_LIST}) AND (completed_us < @cutoffUs OR (completed_us IS NULL AND created_us < @cutoffUs))`

/** Column values for SQL: `result` as JSON text, fields left undefined dropped (not nulled). */
export function toColumns(fields: JobChanges): Record<string, unknown> {
  const values = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined))
  for (const name of ['result', 'params'])
    if (values[name] !== undefined) values[name] = values[name] === null ? null : JSON.stringify(values[name])
  return values
}

/** A new job's column values: what it leaves out is null, its progress 0, its update time its creation. */
export function newJobColumns(job: NewJob): Record<(typeof COLUMNS)[number], unknown> {
  return {
    started_us: null,
    completed_us: null,
    progress: 0,
    result: null,
    error: null,
    current_phase: null,
    phase_detail: null,
    repository: null,
    params: null,
    active_key: null,
    node: null,
    cancel_requested_us: null,
    updated_us: job.created_us,
    ...toColumns(job),
  } as Record<(typeof COLUMNS)[number], unknown>
}

/** A job that did not end by itself: failed with the reason, its phase cleared. */
export function failedChanges(reason: string, atUs: number): JobChanges {
  return {
    status: 'failed',
    error: reason,
    completed_us: atUs,
    updated_us: atUs,
    current_phase: null,
    phase_detail: null,
  }
}

/** All SQL on the `jobs` table. */
export class JobStore {
  private readonly statements = new Map<string, Statement>()

  constructor(private readonly db: Db) {}

  /** Ends a pending job `cancelled` unless a worker took it first. */
  cancelPending(jobId: string, atUs: number): JobRow | undefined {
    return this.statement(
      `UPDATE jobs SET status = 'cancelled', completed_us = @atUs, updated_us = @atUs, error = NULL
        WHERE job_id = @jobId AND status = 'pending' RETURNING *`,
    ).get({jobId, atUs}) as JobRow | undefined
  }

  cancelRequestedOn(node: string): string[] {
    return (
      this.statement(
        "SELECT job_id FROM jobs WHERE status = 'running' AND node = ? AND cancel_requested_us IS NOT NULL",
      ).all(node) as {job_id: string}[]
    ).map((row) => row.job_id)
  }

  /** The oldest pending job that has a handler's params (seeded rows have none), marked running for `node`. */
  claimNext(node: string, atUs: number): StoredJobRow | undefined {
    return this.statement(
      `UPDATE jobs SET status = 'running', node = @node, started_us = @atUs, updated_us = @atUs, progress = @progress
        WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' AND params IS NOT NULL ORDER BY created_us, seq LIMIT 1)
        RETURNING *`,
    ).get({node, atUs, progress: RUNNING_START_PROGRESS}) as StoredJobRow | undefined
  }

  /** Totals from the trigger-kept tally: constant time whatever the table size. */
  countFromTally(username?: string, status?: string): number {
    const conditions = [
      username === undefined ? '' : 'username = @username',
      status === undefined ? '' : 'status = @status',
    ].filter(Boolean)
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
    const row = this.statement(`SELECT COALESCE(SUM(n), 0) AS n FROM job_counts ${where}`).get({username, status}) as {
      n: number
    }
    return row.n
  }

  countsByStatus(): Record<string, number> {
    const rows = this.statement(
      'SELECT status, SUM(n) AS n FROM job_counts GROUP BY status HAVING SUM(n) > 0 ORDER BY status',
    ).all() as {n: number; status: string}[]
    return Object.fromEntries(rows.map((row) => [row.status, row.n]))
  }

  countsByType(): Record<string, number> {
    const rows = this.statement(
      'SELECT operation_type, COUNT(*) AS n FROM jobs GROUP BY operation_type ORDER BY operation_type',
    ).all() as {n: number; operation_type: string}[]
    return Object.fromEntries(rows.map((row) => [row.operation_type, row.n]))
  }

  failedSince(cutoffUs: number): number {
    return (
      this.statement("SELECT COUNT(*) AS n FROM jobs WHERE completed_us >= ? AND status = 'failed'").get(cutoffUs) as {
        n: number
      }
    ).n
  }

  failRunningOn(node: string, reason: string, atUs: number): StoredJobRow[] {
    const running = this.statement("SELECT * FROM jobs WHERE status = 'running' AND node = ?").all(
      node,
    ) as StoredJobRow[]
    this.db.transaction(() => {
      for (const row of running) this.update(row.job_id, failedChanges(reason, atUs))
    })()
    return running
  }

  /** The pending or running job of this operation on this repository (of this user, for user repositories). */
  findActive(operationType: string, repository: string, username?: string): JobRow | undefined {
    const byUser = username === undefined ? '' : 'AND username = @username'
    return this.statement(
      `SELECT * FROM jobs WHERE repository = @repository AND operation_type = @operationType AND status IN (${ACTIVE_LIST}) ${byUser} ORDER BY created_us LIMIT 1`,
    ).get({repository, operationType, username}) as JobRow | undefined
  }

  /** Up to `limit` finished jobs that ended (or, lacking an end, began) before the cutoff; each half by its index. */
  finishedBefore(cutoffUs: number, limit: number): JobRow[] {
    return this.statement(
      `SELECT * FROM jobs WHERE completed_us < @cutoffUs AND status IN (${FINISHED_LIST})
        UNION ALL SELECT * FROM jobs WHERE completed_us IS NULL AND created_us < @cutoffUs AND status IN (${FINISHED_LIST})
        LIMIT @limit`,
    ).all({cutoffUs, limit}) as JobRow[]
  }

  /** How many jobs `finishedBefore` holds, by status, with the oldest and newest of each status. */
  finishedBeforeByStatus(cutoffUs: number): FinishedSummary[] {
    return this.statement(
      `SELECT status, COUNT(*) AS count, MIN(COALESCE(completed_us, created_us)) AS oldest_us,
        MAX(COALESCE(completed_us, created_us)) AS newest_us FROM jobs WHERE ${FINISHED_BEFORE}
        GROUP BY status ORDER BY status`,
    ).all({cutoffUs}) as FinishedSummary[]
  }

  get(jobId: string): JobRow | undefined {
    return this.statement('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined
  }

  /** Records a job; throws ActiveJobConflictError while another pending or running job holds its `active_key`. */
  insert(job: NewJob): StoredJobRow {
    const row = newJobColumns(job)
    try {
      this.statement(`INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})`).run(
        row,
      )
    } catch (error) {
      const activeKey = job.active_key
      const held = activeKey && (error as Error).message === 'UNIQUE constraint failed: jobs.active_key'
      if (!held) throw error
      throw new ActiveJobConflictError(activeKey, this.holderOf(activeKey))
    }

    return this.get(job.job_id) as StoredJobRow
  }

  /** One page, newest first, plus the true total. A filter on another user's name finds nothing for a non-admin. */
  list(query: ListQuery): {rows: JobRow[]; total: number} {
    if (query.viewer !== undefined && query.username !== undefined && query.viewer !== query.username)
      return {rows: [], total: 0}
    const owner = query.viewer ?? query.username
    const conditions: string[] = []
    const params: Record<string, unknown> = {limit: query.limit, offset: query.offset}
    const addCondition = (sql: string, name: string, value: unknown) => {
      conditions.push(sql)
      params[name] = value
    }

    if (owner !== undefined) addCondition('username = @owner', 'owner', owner)
    if (query.status !== undefined) addCondition('status = @status', 'status', query.status)
    if (query.operationType !== undefined)
      addCondition('operation_type = @operationType', 'operationType', query.operationType)
    if (query.repository !== undefined) addCondition('repository = @repository', 'repository', query.repository)
    if (query.sinceUs !== undefined) addCondition('created_us >= @sinceUs', 'sinceUs', query.sinceUs)
    if (query.untilUs !== undefined) addCondition('created_us <= @untilUs', 'untilUs', query.untilUs)
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''
    const rows = this.statement(
      `SELECT * FROM jobs ${where} ORDER BY created_us DESC, seq DESC LIMIT @limit OFFSET @offset`,
    ).all(params) as JobRow[]
    const onlyCountedFilters =
      query.operationType === undefined &&
      query.repository === undefined &&
      query.sinceUs === undefined &&
      query.untilUs === undefined
    const total = onlyCountedFilters ? this.countFromTally(owner, query.status) : this.countWhere(where, params)
    return {rows, total}
  }

  oldestPending(): JobRow | undefined {
    return this.statement("SELECT * FROM jobs WHERE status = 'pending' ORDER BY created_us LIMIT 1").get() as
      JobRow | undefined
  }

  /** Jobs a crash left unfinished become failed; returns their rows as they were. */
  orphanActive(reason: string): JobRow[] {
    const orphans = this.statement(`SELECT * FROM jobs WHERE status IN (${ACTIVE_LIST})`).all() as JobRow[]
    const now = nowMicros()
    this.db.transaction(() => {
      for (const orphan of orphans) this.update(orphan.job_id, failedChanges(reason, now))
    })()
    return orphans
  }

  requestCancel(jobId: string, atUs: number): void {
    this.statement("UPDATE jobs SET cancel_requested_us = ? WHERE job_id = ? AND status = 'running'").run(atUs, jobId)
  }

  /** Every running job, with the node it runs on. */
  running(): StoredJobRow[] {
    return this.statement(
      "SELECT * FROM jobs WHERE status = 'running' ORDER BY updated_us, seq",
    ).all() as StoredJobRow[]
  }

  runningSilentSince(cutoffUs: number): JobRow[] {
    return this.statement("SELECT * FROM jobs WHERE status = 'running' AND updated_us < ? ORDER BY updated_us").all(
      cutoffUs,
    ) as JobRow[]
  }

  update(jobId: string, changes: JobChanges): JobRow | undefined {
    const values = toColumns(changes)
    const names = Object.keys(values).filter((name) => (COLUMNS as readonly string[]).includes(name))
    if (names.length > 0) {
      this.statement(
        `UPDATE jobs SET ${names.map((name) => `${name} = @${name}`).join(', ')} WHERE job_id = @job_id`,
      ).run({...values, job_id: jobId})
    }

    return this.get(jobId)
  }

  private countWhere(where: string, params: Record<string, unknown>): number {
    return (this.statement(`SELECT COUNT(*) AS n FROM jobs ${where}`).get(params) as {n: number}).n
  }

  /** The pending or running job holding an active key. */
  private holderOf(activeKey: string): JobRow | undefined {
    return this.statement(`SELECT * FROM jobs WHERE active_key = ? AND status IN (${ACTIVE_LIST})`).get(activeKey) as
      JobRow | undefined
  }

  /** Prepared statements are cached by their text: the filters make only a few dozen shapes. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }

    return statement
  }
}
