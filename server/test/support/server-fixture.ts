import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type SeedJob, type ServerHandle, type ServerOptions, startServer} from '../../src/index.js'
import {Api} from './api.js'

export const ADMIN_PASSWORD = 'admin-test-password'
export const USER_PASSWORD = 'user-test-password'

export interface TestServer {
  adminToken: string
  api: Api
  dataDir: string
  root: string
  server: ServerHandle
  stop(): Promise<void>
}

export function tempRoot(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `cidx-${prefix}-`))
}

/** Seeds `count` jobs alike, one after another (so they are created in order); returns their IDs. */
export async function seedJobs(testing: ServerHandle['testing'], count: number, seed: SeedJob): Promise<string[]> {
  const ids: string[] = []
  for (let index = 0; index < count; index++) ids.push((await testing.insertJob(seed)).job_id)
  return ids
}

/** The server's raw SQLite handle, for tests of the single server's own file; a cluster node has none. */
export function sqliteOf(server: ServerHandle): NonNullable<ServerHandle['testing']['db']> {
  const {db} = server.testing
  if (!db) throw new Error('This test reads SQLite directly: it runs against a single server only')
  return db
}

/** A server on a free loopback port in a fresh temp dir, with an admin token ready. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
  root = tempRoot('server'),
): Promise<TestServer> {
  const dataDir = options.dataDir ?? join(root, 'data')
  const server = await startServer({port: 0, adminPassword: ADMIN_PASSWORD, ...options, dataDir})
  const api = new Api(server.url)
  const adminToken = await api.login('admin', ADMIN_PASSWORD)
  return {
    server,
    api,
    root,
    dataDir,
    adminToken,
    async stop() {
      await server.close()
      rmSync(root, {recursive: true, force: true})
    },
  }
}

/** Makes users (role normal_user unless said) and returns their tokens. */
export async function usersWithTokens(test: TestServer, ...names: string[]): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {}
  for (const name of names) {
    await test.server.testing.createUser(name, USER_PASSWORD, 'normal_user')
    tokens[name] = await test.api.login(name, USER_PASSWORD)
  }

  return tokens
}

/** The Job object's keys on the wire, in the contract's order. */
export const WIRE_KEYS = [
  'job_id',
  'operation_type',
  'status',
  'created_at',
  'started_at',
  'completed_at',
  'progress',
  'result',
  'error',
  'username',
  'current_phase',
  'phase_detail',
]
