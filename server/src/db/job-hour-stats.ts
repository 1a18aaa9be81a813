import type {Db} from './database.js'

/**
 * Per-hour aggregates of the `jobs` table, so that `GET /api/jobs/stats` reads a few thousand
 * rows instead of every job of its window. Each table is keyed by a rollup, the owner, the
 * repository, the hour of creation and the job type: counts per status, duration and queue-wait
 * counts per whole millisecond (the resolution of the percentiles), and failed jobs per error text
 * with the newest of them. A rollup says which of owner and repository are kept (the other stored
 * as ''), so every filter of the endpoint reads one rollup only; a job without a repository is
 * left out of the rollups by repository, which no repository filter can match.
 *
 * Triggers keep them in step: every write of a job, whichever path makes it (the store, the
 * retention sweep, a seed), updates them in its own statement and transaction, so they cannot
 * drift; they are plain SQL, so an older server writing to the same database keeps them right too.
 * A database without them, or with another version of them, gets them built from its rows.
 * Nothing compares them with the rows at start-up: short of a hand edit of these tables they
 * cannot differ, and the comparison would read every job.
 */

/**
 * The version of the definitions below: a change to what a job adds to an aggregate (the tables,
 * the error text, the rollups) must raise it, so that databases get them rebuilt from their jobs.
 */
const VERSION = 1
export const HOUR_US = 3_600_000_000

interface Rollup {
  byRepository: boolean
  byUser: boolean
  id: number
}

export const ROLLUPS: readonly Rollup[] = [
  {id: 0, byUser: true, byRepository: true},
  {id: 1, byUser: true, byRepository: false},
  {id: 2, byUser: false, byRepository: true},
  {id: 3, byUser: false, byRepository: false},
]

/** The rollup that answers a filter on these fields. */
export function rollupFor(byUser: boolean, byRepository: boolean): number {
  return (ROLLUPS.find((rollup) => rollup.byUser === byUser && rollup.byRepository === byRepository) as Rollup).id
}

/** A job's run time in whole ms, as the CLI reads the wire's timestamps; `row` is `NEW.`, `OLD.` or ''. */
export const durationMsSql = (row: string) => `${row}completed_us / 1000 - ${row}started_us / 1000`
/** A job's wait in the queue in whole ms. */
export const waitMsSql = (row: string) => `${row}started_us / 1000 - ${row}created_us / 1000`

/** The error text the CLI shows: the error column, else a failed result's `error` or `message`. */
export function errorTextSql(row: string): string {
  const result = `${row}result`
  const failedWith = (key: string) =>
    `json_type(${result}, '$.success') = 'false' AND json_type(${result}, '$.${key}') = 'text'
    AND TRIM(json_extract(${result}, '$.${key}')) <> '' THEN json_extract(${result}, '$.${key}')`
  return `CASE WHEN TRIM(COALESCE(${row}error, '')) <> '' THEN ${row}error
  WHEN ${failedWith('error')} WHEN ${failedWith('message')} END`
}

/** The error text as a key: never empty when there is one, so '' stands for none. */
const errorKeySql = (row: string) => `COALESCE(${errorTextSql(row)}, '')`

/** One aggregate of the jobs: what a job adds to it (`value`) and when it adds anything. */
interface Aggregate {
  /** The columns whose change moves a job's contribution. */
  inputs: readonly string[]
  name: string
  value: {column: string; sql: (row: string) => string}
  when: (row: string) => string
}

const KEY_INPUTS = ['created_us', 'username', 'repository', 'operation_type']

const COUNTS: Aggregate = {
  name: 'job_hour_counts',
  value: {column: 'status', sql: (row) => `${row}status`},
  when: () => '1',
  inputs: [...KEY_INPUTS, 'status'],
}

const DURATIONS: Aggregate = {
  name: 'job_hour_durations',
  value: {column: 'ms', sql: durationMsSql},
  when: (row) => `${row}started_us IS NOT NULL AND ${row}completed_us IS NOT NULL AND ${durationMsSql(row)} >= 0`,
  inputs: [...KEY_INPUTS, 'started_us', 'completed_us'],
}

const WAITS: Aggregate = {
  name: 'job_hour_waits',
  value: {column: 'ms', sql: waitMsSql},
  when: (row) => `${row}started_us IS NOT NULL AND ${waitMsSql(row)} >= 0`,
  inputs: [...KEY_INPUTS, 'started_us'],
}

const ERRORS: Aggregate = {
  name: 'job_hour_errors',
  value: {column: 'error', sql: errorKeySql},
  when: (row) => `${row}status = 'failed'`,
  inputs: [...KEY_INPUTS, 'status', 'error', 'result'],
}

const AGGREGATES = [COUNTS, DURATIONS, WAITS, ERRORS]
const KEY_NAMES = ['rollup', 'username', 'repository', 'hour', 'operation_type']
const KEY_COLUMNS = KEY_NAMES.join(', ')
const KEY_DECLARATIONS =
  'rollup INTEGER NOT NULL, username TEXT NOT NULL, repository TEXT NOT NULL, hour INTEGER NOT NULL, operation_type TEXT NOT NULL'

const TABLES = `
CREATE TABLE job_hour_counts (${KEY_DECLARATIONS}, status TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (${KEY_COLUMNS}, status)) WITHOUT ROWID;
CREATE TABLE job_hour_durations (${KEY_DECLARATIONS}, ms INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (${KEY_COLUMNS}, ms)) WITHOUT ROWID;
CREATE TABLE job_hour_waits (${KEY_DECLARATIONS}, ms INTEGER NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (${KEY_COLUMNS}, ms)) WITHOUT ROWID;
-- A rowid table: error texts can be long, too long for a WITHOUT ROWID key.
CREATE TABLE job_hour_errors (${KEY_DECLARATIONS}, error TEXT NOT NULL, n INTEGER NOT NULL,
  newest_created_us INTEGER NOT NULL, newest_seq INTEGER NOT NULL, newest_job_id TEXT NOT NULL,
  UNIQUE (${KEY_COLUMNS}, error));
`

/** The key columns' values of a job's row in one rollup. */
function keyValues(rollup: Rollup, row: string): string[] {
  return [
    String(rollup.id),
    rollup.byUser ? `${row}username` : "''",
    rollup.byRepository ? `${row}repository` : "''",
    `${row}created_us / ${HOUR_US}`,
    `${row}operation_type`,
  ]
}

/** The condition that a job's row counts in a rollup at all. */
function inRollup(aggregate: Aggregate, rollup: Rollup, row: string): string {
  return `(${aggregate.when(row)})${rollup.byRepository ? ` AND ${row}repository IS NOT NULL` : ''}`
}

function matchesKey(aggregate: Aggregate, rollup: Rollup, row: string): string {
  const columns = [...KEY_NAMES, aggregate.value.column]
  const values = [...keyValues(rollup, row), aggregate.value.sql(row)]
  return columns.map((column, n) => `${column} = ${values[n]}`).join(' AND ')
}

/** A newer example: created later, or in the same µs and stored later. */
const NEWER = `(excluded.newest_created_us > newest_created_us OR
  (excluded.newest_created_us = newest_created_us AND excluded.newest_seq > newest_seq))`

function addStatements(aggregate: Aggregate, row: string): string[] {
  return ROLLUPS.map((rollup) => {
    const values = [...keyValues(rollup, row), aggregate.value.sql(row), '1']
    if (aggregate !== ERRORS) {
      return `INSERT INTO ${aggregate.name} (${KEY_COLUMNS}, ${aggregate.value.column}, n)
        SELECT ${values.join(', ')} WHERE ${inRollup(aggregate, rollup, row)}
        ON CONFLICT DO UPDATE SET n = n + 1;`
    }

    const newest = ['newest_created_us', 'newest_seq', 'newest_job_id']
    return `INSERT INTO job_hour_errors (${KEY_COLUMNS}, error, n, ${newest.join(', ')})
      SELECT ${values.join(', ')}, ${row}created_us, ${row}seq, ${row}job_id WHERE ${inRollup(aggregate, rollup, row)}
      ON CONFLICT DO UPDATE SET n = n + 1,
      ${newest.map((column) => `${column} = CASE WHEN ${NEWER} THEN excluded.${column} ELSE ${column} END`).join(', ')};`
  })
}

/** The newest failed job left in the same error group as `row` was, from the jobs table. */
function newestLeftSql(rollup: Rollup, row: string): string {
  const conditions = [
    "status = 'failed'",
    `created_us >= ${row}created_us / ${HOUR_US} * ${HOUR_US}`,
    `created_us < (${row}created_us / ${HOUR_US} + 1) * ${HOUR_US}`,
    `operation_type = ${row}operation_type`,
    ...(rollup.byUser ? [`username = ${row}username`] : []),
    ...(rollup.byRepository ? [`repository = ${row}repository`] : []),
    `${errorKeySql('')} = ${errorKeySql(row)}`,
  ]
  return `SELECT created_us, seq, job_id FROM jobs WHERE ${conditions.join(' AND ')}
    ORDER BY created_us DESC, seq DESC LIMIT 1`
}

function removeStatements(aggregate: Aggregate, row: string): string[] {
  return ROLLUPS.flatMap((rollup) => {
    const key = `${matchesKey(aggregate, rollup, row)} AND ${inRollup(aggregate, rollup, row)}`
    const statements = [
      `DELETE FROM ${aggregate.name} WHERE ${key} AND n = 1;`,
      `UPDATE ${aggregate.name} SET n = n - 1 WHERE ${key};`,
    ]
    if (aggregate === ERRORS) {
      statements.push(`UPDATE job_hour_errors SET (newest_created_us, newest_seq, newest_job_id) =
        (${newestLeftSql(rollup, row)}) WHERE ${key} AND newest_seq = ${row}seq;`)
    }

    return statements
  })
}

function triggers(): string {
  const all = (make: (aggregate: Aggregate, row: string) => string[], row: string) =>
    AGGREGATES.flatMap((aggregate) => make(aggregate, row)).join('\n')
  const onUpdate = AGGREGATES.map((aggregate) => {
    const changed = aggregate.inputs.map((column) => `OLD.${column} IS NOT NEW.${column}`).join(' OR ')
    const relevant = aggregate === ERRORS ? `(${ERRORS.when('OLD.')} OR ${ERRORS.when('NEW.')}) AND ` : ''
    return `CREATE TRIGGER ${aggregate.name}_on_update AFTER UPDATE OF ${aggregate.inputs.join(', ')} ON jobs
      WHEN ${relevant}(${changed}) BEGIN
      ${removeStatements(aggregate, 'OLD.').join('\n')}
      ${addStatements(aggregate, 'NEW.').join('\n')}
    END;`
  })
  return [
    `CREATE TRIGGER job_hour_stats_on_insert AFTER INSERT ON jobs BEGIN ${all(addStatements, 'NEW.')} END;`,
    `CREATE TRIGGER job_hour_stats_on_delete AFTER DELETE ON jobs BEGIN ${all(removeStatements, 'OLD.')} END;`,
    ...onUpdate,
  ].join('\n')
}

/** Fills the (empty) aggregates from the jobs table, in one pass per table and rollup. */
function buildFromRows(db: Db): void {
  for (const rollup of ROLLUPS) {
    for (const aggregate of [COUNTS, DURATIONS, WAITS]) {
      db.exec(`INSERT INTO ${aggregate.name} (${KEY_COLUMNS}, ${aggregate.value.column}, n)
        SELECT ${[...keyValues(rollup, ''), aggregate.value.sql('')].join(', ')}, COUNT(*) FROM jobs
        WHERE ${inRollup(aggregate, rollup, '')} GROUP BY 1, 2, 3, 4, 5, 6`)
    }

    const named = keyValues(rollup, '').map((value, n) => `${value} AS ${KEY_NAMES[n]}`)
    db.exec(`INSERT INTO job_hour_errors (${KEY_COLUMNS}, error, n, newest_created_us, newest_seq, newest_job_id)
      SELECT ${KEY_COLUMNS}, error, n, created_us, seq, job_id FROM (
        SELECT *, COUNT(*) OVER (PARTITION BY ${KEY_COLUMNS}, error) AS n,
          ROW_NUMBER() OVER (PARTITION BY ${KEY_COLUMNS}, error ORDER BY created_us DESC, seq DESC) AS rn
        FROM (SELECT ${named.join(', ')}, ${errorKeySql('')} AS error, created_us, seq, job_id
          FROM jobs WHERE ${inRollup(ERRORS, rollup, '')}))
      WHERE rn = 1`)
  }
}

/** Creates the aggregates and their triggers, built from the rows, unless this version of them is in place. */
export function installHourStats(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS job_hour_stats_version (version INTEGER NOT NULL)')
  const installed = db.prepare('SELECT version FROM job_hour_stats_version').get() as undefined | {version: number}
  if (installed?.version === VERSION) return
  db.transaction(() => {
    for (const aggregate of AGGREGATES) {
      db.exec(`DROP TRIGGER IF EXISTS ${aggregate.name}_on_update; DROP TABLE IF EXISTS ${aggregate.name}`)
    }

    db.exec('DROP TRIGGER IF EXISTS job_hour_stats_on_insert; DROP TRIGGER IF EXISTS job_hour_stats_on_delete')
    db.exec(TABLES)
    db.exec(triggers())
    buildFromRows(db)
    db.prepare('DELETE FROM job_hour_stats_version').run()
    db.prepare('INSERT INTO job_hour_stats_version (version) VALUES (?)').run(VERSION)
  })()
}
