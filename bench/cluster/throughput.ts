import type {openPool} from '../../server/src/db/postgres/migrate.js'

import {JOBS_PENDING_CHANNEL} from '../../server/src/cluster/cluster-bus.js'

type Pool = ReturnType<typeof openPool>

const POLL_MS = 20
const PREFIX = 'noop-'

/** How fast the cluster's nodes claim and finish `count` jobs that do (almost) nothing. */
export interface Throughput {
  /** Every job completed, and each was claimed (pending → running) exactly once. */
  claimed_once: boolean
  completed: number
  jobs: number
  /** Jobs per second from the insert's commit until the poll saw the last one finished. */
  jobs_per_second: number
  /** Jobs per second over the table's own span: first `started_us` to last `completed_us`. */
  jobs_per_second_table: number
  nodes: number
  /** How many jobs each node ran. */
  per_node: Record<string, number>
  seconds: number
  workers: number
}

/**
 * A row-level trigger records every claim (pending → running) of a bench job, so "ran once" is
 * checked against what the database saw, not inferred from the final row.
 */
const CLAIM_LOG = `
CREATE TABLE IF NOT EXISTS bench_claims (job_id TEXT NOT NULL, node TEXT);
CREATE OR REPLACE FUNCTION bench_log_claim() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO bench_claims (job_id, node) VALUES (NEW.job_id, NEW.node); RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS bench_log_claim ON jobs;
CREATE TRIGGER bench_log_claim AFTER UPDATE ON jobs FOR EACH ROW
  WHEN (OLD.status = 'pending' AND NEW.status = 'running' AND NEW.job_id LIKE '${PREFIX}%')
  EXECUTE FUNCTION bench_log_claim();`

/**
 * Pending `deactivate_repository` jobs of working copies that do not exist, as a node's own
 * would be minus the active key: each is a claim, a rename that finds nothing, one empty
 * transaction over the index and the repository row, and a finish. That is the closest the
 * server has to a no-op job, and unlike the retention job (whose sweep holds a cluster-wide
 * lock) nothing in it makes the nodes wait for each other.
 */
const FILL = `
INSERT INTO jobs (job_id, operation_type, status, created_us, updated_us, progress, username, params)
SELECT '${PREFIX}' || n, 'deactivate_repository', 'pending', $1::bigint + n, $1::bigint + n, 0, 'admin',
  json_build_object('userAlias', 'absent-' || n)::text
FROM generate_series(1, $2::int) AS n`

const STATUS = `
SELECT count(*) FILTER (WHERE status IN ('completed', 'completed_partial', 'failed', 'cancelled'))::int AS finished,
       count(*) FILTER (WHERE status = 'completed')::int AS completed
  FROM jobs WHERE job_id LIKE '${PREFIX}%'`

const SPAN = `
SELECT min(started_us)::text AS first_start, max(completed_us)::text AS last_end FROM jobs WHERE job_id LIKE '${PREFIX}%'`

const CLAIMS = `
SELECT count(*)::int AS claims, count(DISTINCT job_id)::int AS jobs, count(*) FILTER (WHERE node IS NULL)::int AS nameless
  FROM bench_claims`

/**
 * Inserts `count` pending jobs in one transaction that also wakes the nodes (NOTIFY, as a
 * node's own insert does), then polls the table until every one has finished. The nodes are
 * already running: claiming starts at the commit.
 */
export async function measureThroughput(
  pool: Pool,
  {count, nodes, workers, timeoutMs = 120_000}: {count: number; nodes: number; timeoutMs?: number; workers: number},
): Promise<Throughput> {
  await pool.query(CLAIM_LOG)
  const client = await pool.connect()
  let started: number
  try {
    await client.query('BEGIN')
    await client.query(FILL, [Date.now() * 1000, count])
    await client.query(`NOTIFY ${JOBS_PENDING_CHANNEL}`)
    await client.query('COMMIT')
    started = performance.now()
  } finally {
    client.release()
  }

  let counts = {finished: 0, completed: 0}
  while (counts.finished < count) {
    if (performance.now() - started > timeoutMs) throw new Error(`only ${counts.finished} of ${count} jobs finished`)
    await new Promise((resolve) => {
      setTimeout(resolve, POLL_MS)
    })
    counts = (await pool.query<typeof counts>(STATUS)).rows[0]
  }

  const seconds = (performance.now() - started) / 1000
  const span = (await pool.query<{first_start: string; last_end: string}>(SPAN)).rows[0]
  const spanSeconds = (Number(span.last_end) - Number(span.first_start)) / 1e6
  const claims = (await pool.query<{claims: number; jobs: number; nameless: number}>(CLAIMS)).rows[0]
  const perNode = await pool.query<{n: number; node: string}>(
    `SELECT node, count(*)::int AS n FROM jobs WHERE job_id LIKE '${PREFIX}%' GROUP BY node ORDER BY node`,
  )
  return {
    nodes,
    workers,
    jobs: count,
    completed: counts.completed,
    seconds: Math.round(seconds * 1000) / 1000,
    jobs_per_second: Math.round(count / seconds),
    jobs_per_second_table: Math.round(count / spanSeconds),
    claimed_once:
      counts.completed === count && claims.claims === count && claims.jobs === count && claims.nameless === 0,
    per_node: Object.fromEntries(perNode.rows.map((row) => [row.node, row.n])),
  }
}
