import type {Migration} from './migrate.js'

import {ACTIVE_LIST} from '../../jobs/job-row.js'

/** Status lists as SQL literals (fixed names of our own, never user input). */

/**
 * The tally's delta of a statement, applied in (username, status) order: statements that move
 * many jobs at once then take the tally's row locks in one order and cannot deadlock each other.
 * Statement-level triggers read the transition tables once, so a bulk insert costs one upsert
 * per (user, status), not one per job.
 */
const APPLY_DELTA = `
  INSERT INTO job_counts (username, status, n)
    SELECT username, status, SUM(delta) FROM delta GROUP BY username, status HAVING SUM(delta) <> 0
     ORDER BY username, status
    ON CONFLICT (username, status) DO UPDATE SET n = job_counts.n + excluded.n;
  RETURN NULL;`

/** Index names of the listing: each ends in `seq`, so `ORDER BY created_us DESC, seq DESC` is read off it. */
const LISTING_INDEXES = `
DROP INDEX jobs_by_user, jobs_by_user_status, jobs_by_created, jobs_by_status, jobs_by_repository,
  jobs_by_user_repository, jobs_pending;
CREATE INDEX jobs_by_user ON jobs (username, created_us, seq);
CREATE INDEX jobs_by_user_status ON jobs (username, status, created_us, seq);
CREATE INDEX jobs_by_created ON jobs (created_us, seq);
CREATE INDEX jobs_by_status ON jobs (status, created_us, seq);
CREATE INDEX jobs_by_repository ON jobs (repository, created_us, seq);
CREATE INDEX jobs_by_user_repository ON jobs (username, repository, created_us, seq);
-- The claim's subselect: one probe, however many jobs ended or were seeded without params.
CREATE INDEX jobs_runnable ON jobs (created_us, seq) WHERE status = 'pending' AND params IS NOT NULL;
`

const JOB_COUNTS = `
-- Per user and status counts, as SQLite keeps them, so that "total" costs nothing at a million jobs.
CREATE TABLE job_counts (
  username TEXT NOT NULL,
  status TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (username, status)
);
INSERT INTO job_counts (username, status, n) SELECT username, status, COUNT(*) FROM jobs GROUP BY username, status;

CREATE FUNCTION job_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  WITH delta AS (SELECT username, status, 1 AS delta FROM new_jobs) ${APPLY_DELTA}
END $$;
CREATE FUNCTION job_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  WITH delta AS (SELECT username, status, -1 AS delta FROM old_jobs) ${APPLY_DELTA}
END $$;
-- Transition tables rule out a column list (UPDATE OF status, username): the moved rows are found here.
CREATE FUNCTION job_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  WITH moved AS (
    SELECT o.username AS old_username, o.status AS old_status, c.username AS new_username, c.status AS new_status
      FROM old_jobs o JOIN new_jobs c ON c.seq = o.seq
     WHERE o.status IS DISTINCT FROM c.status OR o.username IS DISTINCT FROM c.username
  ), delta AS (
    SELECT old_username AS username, old_status AS status, -1 AS delta FROM moved
    UNION ALL SELECT new_username, new_status, 1 FROM moved
  ) ${APPLY_DELTA}
END $$;
CREATE TRIGGER job_counts_on_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_insert();
CREATE TRIGGER job_counts_on_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_delete();
CREATE TRIGGER job_counts_on_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_jobs NEW TABLE AS new_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION job_counts_on_update();
`

/**
 * The `jobs` table on PostgreSQL: SQLite's columns and listing indexes, plus the node running a
 * job, a cancel asked for from any node, and `active_key`, which the partial unique index keeps
 * to one pending or running job (the 409 rule) across every node at once. Released steps never
 * change: a change is a new step.
 */
export const JOB_MIGRATIONS: readonly Migration[] = [
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
  {
    version: 2,
    sql: `
-- What a job's handler runs it with (JSON), on whichever node claims it; null: not runnable (seeded).
ALTER TABLE jobs ADD COLUMN params TEXT;
${LISTING_INDEXES}
${JOB_COUNTS}
-- Git process groups of running jobs, per node, so that a restart or another node stops survivors.
CREATE TABLE job_processes (
  pgid INTEGER NOT NULL,
  node TEXT NOT NULL,
  job_id TEXT NOT NULL,
  PRIMARY KEY (node, pgid)
);
`,
  },
  {
    version: 3,
    sql: `
-- The archive batch being written (file and size before it): a sweep that died mid-batch is undone from it.
CREATE TABLE job_archive_intent (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  file TEXT NOT NULL,
  size BIGINT NOT NULL
);
`,
  },
  {
    version: 4,
    sql: `
-- The host a process group lives on: only a node on that host may signal it after its node died.
ALTER TABLE job_processes ADD COLUMN host TEXT NOT NULL DEFAULT '';
`,
  },
  {
    version: 5,
    sql: `
-- A node whose listening connection was lost reads the jobs changed meanwhile off this.
CREATE INDEX jobs_by_updated ON jobs (updated_us);
`,
  },
]
