import type pg from 'pg'

import type {Storage} from '../storage.js'

import {NODE_MIGRATIONS} from '../../cluster/node-registry.js'
import {AUTH_MIGRATIONS, PgAuthStorage} from './auth-storage.js'
import {PgHistoryStorage} from './history-storage.js'
import {JOB_MIGRATIONS, PgJobStorage, PgProcessStorage} from './job-storage.js'
import {migrate, openPool} from './migrate.js'
import {PgIndexStorage, PgRepoStorage, REPO_MIGRATIONS} from './repo-storage.js'

/** Every table of a node, in the order of their numbered steps (jobs 1-9, auth 20, repositories 30, nodes 40). */
export const MIGRATIONS = [...JOB_MIGRATIONS, ...AUTH_MIGRATIONS, ...REPO_MIGRATIONS, ...NODE_MIGRATIONS]

export interface PostgresStorageOptions {
  /** Where removed jobs are archived: the shared data dir's `archive/`. */
  archiveDir: string
  /** An idle connection the server dropped; the pool replaces it. */
  onIdleError?: (error: Error) => void
  /** Connections per node. */
  poolSize?: number
  refreshTokenTtlSeconds: number
}

/** A node's storage on PostgreSQL: one pool, the schema brought up to date before anything else. */
export async function openPostgresStorage(
  url: string,
  options: PostgresStorageOptions,
): Promise<Storage & {pool: pg.Pool}> {
  const pool = openPool(url, options.poolSize ?? 10, options.onIdleError)
  try {
    await migrate(pool, MIGRATIONS)
  } catch (error) {
    await pool.end()
    throw error
  }

  return {
    kind: 'postgres',
    pool,
    jobs: new PgJobStorage(pool),
    processes: new PgProcessStorage(pool),
    index: new PgIndexStorage(pool),
    repos: new PgRepoStorage(pool),
    auth: new PgAuthStorage(pool, {refreshTokenTtlSeconds: options.refreshTokenTtlSeconds}),
    history: new PgHistoryStorage(pool, options.archiveDir),
    close: () => pool.end(),
  }
}
