import pg from 'pg'

import {nowMicros} from '../../time.js'

/** A numbered schema step; applied once per database, in order, never changed once released. */
export interface Migration {
  sql: string
  version: number
}

/** Any lock id will do as long as it is this module's alone: nodes starting together queue on it. */
const MIGRATION_LOCK = 7_164_180_301

/**
 * A pool whose BIGINT columns come back as numbers: the stores keep microsecond timestamps
 * (below 2^53 for millennia) and rows must look the same as SQLite's to `toWireJob`.
 * An idle connection the server drops (a restart, or a shutdown racing the pool's own end) is
 * reported to `onIdleError` and replaced on next use; a query's own errors reach its caller.
 */
export function openPool(url: string, max = 10, onIdleError: (error: Error) => void = () => {}): pg.Pool {
  const int8 = pg.types.builtins.INT8
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types: {
      getTypeParser: ((oid: number, format?: 'binary' | 'text') =>
        oid === int8 && format !== 'binary'
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  pool.on('error', onIdleError)
  return pool
}

/**
 * Applies the steps the database lacks, all in one transaction under an advisory lock: nodes
 * that start at once wait for the first, then find nothing left to do. Returns the versions applied.
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<number[]> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_us BIGINT NOT NULL)',
    )
    const done = await client.query<{version: number}>('SELECT version FROM schema_migrations')
    const applied = new Set(done.rows.map((row) => row.version))
    const missing = [...migrations].sort((a, b) => a.version - b.version).filter((step) => !applied.has(step.version))
    for (const step of missing) {
      await client.query(step.sql)
      await client.query('INSERT INTO schema_migrations (version, applied_us) VALUES ($1, $2)', [
        step.version,
        nowMicros(),
      ])
    }

    await client.query('COMMIT')
    return missing.map((step) => step.version)
  } catch (error) {
    await client.query('ROLLBACK')
    throw error
  } finally {
    client.release()
  }
}
