/**
 * The one way the CLI's tests start the local server. By default it is the single server on
 * SQLite in the given data dir. With CIDX_TEST_DATABASE=postgres each server is instead a node of
 * a cluster on its own fresh database of one throwaway PostgreSQL shared by the whole run, so the
 * same tests show that the CLI sees no difference between the two.
 */
import {type ServerHandle, type ServerOptions, startServer} from '@cidx/local-server'

import {openPool} from '../../../server/src/db/postgres/migrate.js'
import {startThrowawayPostgres, type ThrowawayPostgres} from '../../../server/src/db/throwaway-postgres.js'

/** A started server and the options it was started with, so that it can be started again as itself. */
export type LocalServer = ServerHandle & {
  /** With `database` and `nodeName` filled in on a cluster: a restart reuses both, so it finds its jobs. */
  readonly options: ServerOptions
}

/** Whether this run's servers are cluster nodes on PostgreSQL. */
export const ON_CLUSTER = process.env.CIDX_TEST_DATABASE === 'postgres'

let postgres: Promise<ThrowawayPostgres> | undefined
let databases = 0

/** The run's PostgreSQL, started on first use: runs on SQLite never start one. */
async function sharedPostgres(): Promise<ThrowawayPostgres> {
  postgres ??= startThrowawayPostgres()
  return postgres
}

/** A new empty database on the run's PostgreSQL; returns its URL. */
async function freshDatabase(): Promise<string> {
  const server = await sharedPostgres()
  const name = `t_${++databases}`
  const url = new URL(server.url)
  url.pathname = '/postgres'
  const pool = openPool(url.href, 1)
  try {
    // The name is ours (t_ and a counter), never input: it can go into the statement as it is.
    await pool.query(`CREATE DATABASE ${name}`)
  } finally {
    await pool.end()
  }

  url.pathname = `/${name}`
  return url.href
}

/**
 * Starts the local server for a CLI test. On a cluster, options without `database` get a fresh
 * one and a node name of their own; options with one (a restart) are used as they are.
 */
export async function startLocalServer(options: ServerOptions): Promise<LocalServer> {
  let resolved = options
  if (ON_CLUSTER && options.database === undefined) {
    const database = await freshDatabase()
    resolved = {...options, database, nodeName: options.nodeName ?? `cli-test-${databases}`}
  }

  const server = await startServer(resolved)
  return Object.assign(server, {options: resolved})
}

/** Stops the run's PostgreSQL, if it was started (the root hook calls it once every test has run). */
export async function stopSharedPostgres(): Promise<void> {
  const started = postgres
  postgres = undefined
  await (await started)?.stop()
}
