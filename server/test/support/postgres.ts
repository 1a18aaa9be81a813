import type pg from 'pg'

import {openPool} from '../../src/db/postgres/migrate.js'
import {startThrowawayPostgres, type ThrowawayPostgres} from '../../src/db/throwaway-postgres.js'

export interface PostgresFixture {
  /** A new pool on the server (as one node would have); ended after the suite. */
  pool(max?: number): pg.Pool
  server(): ThrowawayPostgres
}

/* eslint-disable mocha/no-top-level-hooks -- the hooks are registered in the describe that calls usePostgres, not at the top level */
/** One throwaway PostgreSQL for the enclosing suite: started before its tests, removed after them. */
export function usePostgres(): PostgresFixture {
  let postgres: ThrowawayPostgres | undefined
  const pools: pg.Pool[] = []
  before(async function () {
    this.timeout(60_000)
    postgres = await startThrowawayPostgres()
  })
  after(async () => {
    for (const pool of pools.splice(0)) await pool.end()
    await postgres?.stop()
  })
  const server = () => {
    if (!postgres) throw new Error('PostgreSQL is not started yet')
    return postgres
  }

  return {
    server,
    pool(max) {
      const pool = openPool(server().url, max)
      pools.push(pool)
      return pool
    },
  }
}
/* eslint-enable mocha/no-top-level-hooks */
