/**
 * The first page of the job list from PostgreSQL at 1 M jobs (part of `npm run bench:cluster`):
 * `PgJobStorage.list` unfiltered, by user, by status and by both, p95 over 50 calls each, in
 * this process against a throwaway PostgreSQL of its own. Budget: 20 ms server-side each.
 * Run alone: `node --import tsx --conditions=development bench/cluster/list.ts [--jobs N] [--calls N]`,
 * which prints the figures as JSON.
 */

import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import type {ListQuery} from '../../server/src/jobs/job-store.js'

import {JOB_MIGRATIONS, PgJobStorage} from '../../server/src/db/postgres/job-storage.js'
import {migrate, openPool} from '../../server/src/db/postgres/migrate.js'
import {startThrowawayPostgres} from '../../server/src/db/throwaway-postgres.js'

const BUDGET_MS = 20
const WARMUP_CALLS = 10
const PAGE = 50

/**
 * Jobs over 30 days, oldest first: ten users, one of them (user-0) with a tenth of all jobs, the
 * rest spread evenly; 80 % completed, 10 % failed, the rest cancelled, partial, running, pending.
 */
const FILL = `
INSERT INTO jobs (job_id, operation_type, status, created_us, started_us, completed_us, updated_us, progress,
                  result, username, repository)
SELECT 'job-' || n, (ARRAY['add_golden_repo', 'sync_repository', 'activate_repository'])[n % 3 + 1],
  CASE WHEN n % 100 < 80 THEN 'completed' WHEN n % 100 < 90 THEN 'failed' WHEN n % 100 < 95 THEN 'cancelled'
       WHEN n % 100 < 98 THEN 'completed_partial' WHEN n % 100 < 99 THEN 'running' ELSE 'pending' END,
  $1::bigint + n * $2::bigint, $1::bigint + n * $2::bigint + 1000, $1::bigint + n * $2::bigint + 5000000,
  $1::bigint + n * $2::bigint + 5000000, 100, '{"alias":"repo-' || n % 50 || '"}',
  CASE WHEN n % 10 = 0 THEN 'user-0' ELSE 'user-' || (n % 9 + 1) END, 'repo-' || n % 50
FROM generate_series(1, $3::int) AS n`

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

/** Milliseconds to two decimals. */
const round = (ms: number) => Math.round(ms * 100) / 100

async function timeCalls(jobs: PgJobStorage, query: ListQuery, calls: number) {
  for (let at = 0; at < WARMUP_CALLS; at++) await jobs.list(query)
  const times: number[] = []
  let rows = 0
  let total = 0
  for (let at = 0; at < calls; at++) {
    const start = process.hrtime.bigint()
    const page = await jobs.list(query)
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
    rows = page.rows.length
    total = page.total
  }

  return {p50_ms: round(percentile(times, 50)), p95_ms: round(percentile(times, 95)), rows, total}
}

export type ListFigures = Awaited<ReturnType<typeof measureList>>

/** Fills a throwaway PostgreSQL with `count` jobs and times the first page of each filter. */
export async function measureList(count = 1_000_000, calls = 50) {
  const postgres = await startThrowawayPostgres()
  const pool = openPool(postgres.url, 4)
  try {
    await migrate(pool, JOB_MIGRATIONS)
    const fillStart = Date.now()
    const spreadUs = Math.floor((30 * 24 * 3_600_000_000) / count)
    await pool.query(FILL, [Date.now() * 1000 - 30 * 24 * 3_600_000_000, spreadUs, count])
    await pool.query('VACUUM ANALYZE jobs')
    const fillSeconds = (Date.now() - fillStart) / 1000
    const jobs = new PgJobStorage(pool)
    const scenarios: Record<string, ListQuery> = {
      unfiltered: {limit: PAGE, offset: 0},
      by_user: {limit: PAGE, offset: 0, username: 'user-0'},
      by_status: {limit: PAGE, offset: 0, status: 'failed'},
      by_user_and_status: {limit: PAGE, offset: 0, username: 'user-3', status: 'running'},
    }
    const figures: Record<string, Awaited<ReturnType<typeof timeCalls>>> = {}
    for (const [name, query] of Object.entries(scenarios)) figures[name] = await timeCalls(jobs, query, calls)
    const withinBudget = Object.values(figures).every((figure) => figure.p95_ms < BUDGET_MS)
    return {
      jobs: count,
      calls,
      fill_seconds: fillSeconds,
      budget_ms: BUDGET_MS,
      within_budget: withinBudget,
      list: figures,
    }
  } finally {
    await pool.end()
    await postgres.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({options: {jobs: {type: 'string'}, calls: {type: 'string'}}})
  const figures = await measureList(Number(values.jobs ?? 1_000_000), Number(values.calls ?? 50))
  console.log(JSON.stringify(figures, null, 2))
}
