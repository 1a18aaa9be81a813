import type pg from 'pg'

import {closeSync, existsSync, fstatSync, mkdirSync, openSync} from 'node:fs'
import {join} from 'node:path'

import type {JobRow} from '../../jobs/job-row.js'
import type {WindowFigures, WindowQuery} from '../../jobs/stats/window-figures.js'
import type {Awaitable, HistoryStorage} from '../storage.js'

import {appendBatch, archiveFileName, BATCH_SIZE, cutBack, syncDirectory} from '../../jobs/job-archive.js'

/** Any id will do as long as it is the sweep's alone: two nodes sweeping at once take turns. */
const SWEEP_LOCK = 7_164_180_302

/** The text of a failed result's `key`, when it has one, as a CASE branch (keys are ours, never input). */
const failedWith = (key: string) =>
  `(result::jsonb -> 'success') = 'false'::jsonb AND jsonb_typeof(result::jsonb -> '${key}') = 'string'
   AND TRIM(result::jsonb ->> '${key}') <> '' THEN result::jsonb ->> '${key}'`

/** The error text the CLI shows, as `errorTextSql` computes it on SQLite: the error column, else a failed result's. */
const ERROR_TEXT_SQL = `CASE WHEN TRIM(COALESCE(error, '')) <> '' THEN error WHEN ${failedWith('error')} WHEN ${failedWith('message')} END`

/** A JSON array of `rows`' rows in `order` ('[]' when none), for one statement to answer every figure. */
const jsonArray = (rows: string, order: string) =>
  `(SELECT COALESCE(json_agg(r ORDER BY ${order}), '[]'::json) FROM (${rows}) r)`

const valueCounts = (column: string) =>
  jsonArray(
    `SELECT type AS grp, ${column} AS ms, COUNT(*) AS n FROM w WHERE ${column} >= 0 GROUP BY type, ${column}`,
    'grp COLLATE "C", ms',
  )

/**
 * The window's jobs read once (one snapshot, one statement) and added up as `figuresFromRows`
 * adds them up on SQLite: the same whole-millisecond arithmetic (integer division truncates on
 * both), the same groups. Its arrays are sorted; SQLite's come in scan order, which no reader uses.
 */
const figuresSql = (where: string) => `
WITH w AS MATERIALIZED (
  SELECT operation_type AS type, status, (created_us / 1000 - $3::bigint) / $4::bigint AS slot,
    completed_us / 1000 - started_us / 1000 AS duration_ms, started_us / 1000 - created_us / 1000 AS wait_ms,
    CASE WHEN status = 'failed' THEN ${ERROR_TEXT_SQL} END AS error, created_us, seq, job_id
  FROM jobs WHERE ${where}
)
SELECT
  ${jsonArray('SELECT type, status, slot, COUNT(*) AS n FROM w GROUP BY type, status, slot', 'type COLLATE "C", status COLLATE "C", slot')} AS tallies,
  ${valueCounts('duration_ms')} AS durations,
  ${valueCounts('wait_ms')} AS waits,
  ${jsonArray(
    `SELECT DISTINCT ON (error) error, COUNT(*) OVER (PARTITION BY error) AS count, job_id AS newest_job_id,
       created_us AS newest_created_us, seq AS newest_seq
     FROM w WHERE status = 'failed' ORDER BY error, created_us DESC, seq DESC`,
    'error COLLATE "C" NULLS FIRST',
  )} AS errors`

interface Intent {
  file: string
  size: number
}

/**
 * Finished jobs into the archive, as `JobArchive` does on SQLite (same files, same format, same
 * crash rule: the intent row first, then the batch's gzip member, then the DELETE and the intent's
 * removal in one transaction), and the stats figures from the job rows.
 */
export class PgHistoryStorage implements HistoryStorage {
  constructor(
    private readonly pool: pg.Pool,
    private readonly dir: string,
  ) {}

  /** Archives then deletes every row `select` returns, batch after batch, until it returns none; returns how many went. */
  async sweep(select: (limit: number) => Awaitable<JobRow[]>, now: () => Date = () => new Date()): Promise<number> {
    // One sweep at a time across nodes: they share the archive files and the one intent row.
    const client = await this.pool.connect()
    try {
      await client.query('SELECT pg_advisory_lock($1)', [SWEEP_LOCK])
      try {
        await this.undoUnfinishedBatch(client)
        let removed = 0
        for (;;) {
          const rows = await select(BATCH_SIZE)
          if (rows.length === 0) return removed
          await this.archiveAndDelete(client, rows, archiveFileName(now()))
          removed += rows.length
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK])
      }
    } finally {
      client.release()
    }
  }

  async windowFigures({selection, sinceUs, untilUs, slots}: WindowQuery): Promise<WindowFigures> {
    const values: unknown[] = [sinceUs, untilUs, slots.offset, slots.size]
    const conditions = ['created_us >= $1', 'created_us <= $2']
    const add = (column: string, value: string | undefined) => {
      if (value === undefined) return
      values.push(value)
      conditions.push(`${column} = $${values.length}`)
    }

    add('username', selection.owner)
    add('operation_type', selection.operationType)
    add('repository', selection.repository)
    const found = await this.pool.query<WindowFigures>(figuresSql(conditions.join(' AND ')), values)
    return found.rows[0]
  }

  private async archiveAndDelete(client: pg.PoolClient, rows: JobRow[], file: string): Promise<void> {
    mkdirSync(this.dir, {recursive: true})
    const path = join(this.dir, file)
    const created = !existsSync(path)
    const fd = openSync(path, 'a')
    try {
      await client.query(
        `INSERT INTO job_archive_intent (id, file, size) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET file = excluded.file, size = excluded.size`,
        [file, fstatSync(fd).size],
      )
      appendBatch(fd, rows)
    } finally {
      closeSync(fd)
    }

    if (created) syncDirectory(this.dir)
    await client.query('BEGIN')
    try {
      await client.query('DELETE FROM jobs WHERE job_id = ANY($1::text[])', [rows.map((row) => row.job_id)])
      await client.query('DELETE FROM job_archive_intent')
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    }
  }

  /** After a crash mid-batch: cut the archive back to before that batch, whose jobs are still stored. */
  private async undoUnfinishedBatch(client: pg.PoolClient): Promise<void> {
    const found = await client.query<Intent>('SELECT file, size FROM job_archive_intent')
    const intent = found.rows[0]
    if (intent === undefined) return
    cutBack(join(this.dir, intent.file), intent.size)
    await client.query('DELETE FROM job_archive_intent')
  }
}
