import Database from 'better-sqlite3'
import {join} from 'node:path'

import {installHourStats} from './job-hour-stats.js'

export type Db = Database.Database

/**
 * Opens (and creates or upgrades) the server's SQLite database in the data dir. WAL lets the
 * HTTP handlers read while a job writes; a busy timeout absorbs short lock waits.
 */
export function openDatabase(dataDir: string): Db {
  const db = new Database(join(dataDir, 'server.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('cache_size = -16000')
  db.exec(SCHEMA)
  addJobColumns(db)
  installHourStats(db)
  return db
}

/**
 * The columns a job gained for running on handlers and in a cluster, added to a database made
 * before them; with the indexes on them: the claim's, and the one active job per key (the 409).
 */
function addJobColumns(db: Db): void {
  const have = new Set((db.pragma('table_info(jobs)') as {name: string}[]).map((column) => column.name))
  for (const [name, type] of JOB_COLUMNS_ADDED)
    if (!have.has(name)) db.exec(`ALTER TABLE jobs ADD COLUMN ${name} ${type}`)
  db.exec(`
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (created_us) WHERE status = 'pending';
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_active ON jobs (active_key)
  WHERE status IN ('pending', 'running') AND active_key IS NOT NULL;`)
}

const JOB_COLUMNS_ADDED = [
  ['params', 'TEXT'],
  ['active_key', 'TEXT'],
  ['node', 'TEXT'],
  ['cancel_requested_us', 'INTEGER'],
] as const

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_us INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS refresh_families (
  family_id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  revoked_reason TEXT
);

CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES refresh_families(family_id) ON DELETE CASCADE,
  expires_us INTEGER NOT NULL,
  spent_us INTEGER
);

CREATE TABLE IF NOT EXISTS api_keys (
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  created_us INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS revoked_tokens (
  jti TEXT PRIMARY KEY,
  expires_us INTEGER NOT NULL
);

-- seq is the rowid: it breaks ties between jobs created in the same microsecond.
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL UNIQUE,
  operation_type TEXT NOT NULL,
  status TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  started_us INTEGER,
  completed_us INTEGER,
  updated_us INTEGER NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0,
  result TEXT,
  error TEXT,
  username TEXT NOT NULL,
  current_phase TEXT,
  phase_detail TEXT,
  repository TEXT,
  params TEXT,
  active_key TEXT,
  node TEXT,
  cancel_requested_us INTEGER
);

-- Listing reads the first page straight off these (scanned backwards for newest first).
CREATE INDEX IF NOT EXISTS jobs_by_user ON jobs (username, created_us);
CREATE INDEX IF NOT EXISTS jobs_by_user_status ON jobs (username, status, created_us);
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_us);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created_us);
CREATE INDEX IF NOT EXISTS jobs_by_repository ON jobs (repository, created_us);
CREATE INDEX IF NOT EXISTS jobs_by_user_repository ON jobs (username, repository, created_us);
CREATE INDEX IF NOT EXISTS jobs_by_completed ON jobs (completed_us) WHERE completed_us IS NOT NULL;

-- Per user and status counts kept by triggers, so that "total" costs nothing at a million jobs.
CREATE TABLE IF NOT EXISTS job_counts (
  username TEXT NOT NULL,
  status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (username, status)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS job_counts_on_insert AFTER INSERT ON jobs BEGIN
  INSERT INTO job_counts (username, status, n) VALUES (NEW.username, NEW.status, 1)
    ON CONFLICT (username, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS job_counts_on_delete AFTER DELETE ON jobs BEGIN
  UPDATE job_counts SET n = n - 1 WHERE username = OLD.username AND status = OLD.status;
END;

CREATE TRIGGER IF NOT EXISTS job_counts_on_update AFTER UPDATE OF status, username ON jobs
  WHEN OLD.status IS NOT NEW.status OR OLD.username IS NOT NEW.username BEGIN
  UPDATE job_counts SET n = n - 1 WHERE username = OLD.username AND status = OLD.status;
  INSERT INTO job_counts (username, status, n) VALUES (NEW.username, NEW.status, 1)
    ON CONFLICT (username, status) DO UPDATE SET n = n + 1;
END;

-- Process groups of git children, so that a restart after a crash can stop the survivors.
CREATE TABLE IF NOT EXISTS job_processes (
  pgid INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL
);

-- sync_base_head is set while a sync is between its merge and its commit: a crash there is
-- repaired at start-up by resetting the working copy to it.
CREATE TABLE IF NOT EXISTS golden_repos (
  alias TEXT PRIMARY KEY,
  repo_url TEXT NOT NULL,
  default_branch TEXT,
  description TEXT,
  head TEXT,
  files_indexed INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL,
  synced_us INTEGER,
  sync_base_head TEXT
);

CREATE TABLE IF NOT EXISTS activated_repos (
  username TEXT NOT NULL,
  user_alias TEXT NOT NULL,
  golden_alias TEXT NOT NULL,
  branch TEXT,
  head TEXT,
  files_indexed INTEGER NOT NULL DEFAULT 0,
  created_us INTEGER NOT NULL,
  synced_us INTEGER,
  sync_base_head TEXT,
  PRIMARY KEY (username, user_alias)
) WITHOUT ROWID;

-- The full-text index: file_text holds the text, indexed_files says which repository (or
-- which job's staging area) a row belongs to and the content hash used to find changes.
CREATE VIRTUAL TABLE IF NOT EXISTS file_text USING fts5 (path, content);

CREATE TABLE IF NOT EXISTS indexed_files (
  repo_key TEXT NOT NULL,
  path TEXT NOT NULL,
  sha TEXT NOT NULL,
  text_rowid INTEGER NOT NULL,
  PRIMARY KEY (repo_key, path)
) WITHOUT ROWID;
`
