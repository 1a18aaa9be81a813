import type {AddressInfo} from 'node:net'

import {randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import type {Services} from './services.js'

import {AccessTokens} from './auth/access-tokens.js'
import {Authenticator} from './auth/authenticator.js'
import {LoginLimiter} from './auth/login-limiter.js'
import {hashPassword} from './auth/passwords.js'
import {loadOrCreateJwtSecret} from './auth/secret.js'
import {type ClusterMembership, joinCluster} from './cluster/cluster-node.js'
import {lockDataDir} from './db/data-dir-lock.js'
import {openPostgresStorage} from './db/postgres/postgres-storage.js'
import {openSqliteStorage, type SqliteStorage} from './db/sqlite-storage.js'
import {storageFault} from './db/storage-errors.js'
import {StorageMonitor} from './db/storage-monitor.js'
import {ActiveJobConflictError, type Awaitable, type Storage} from './db/storage.js'
import {buildApp} from './http/app.js'
import {guardStorage} from './http/storage-guard.js'
import {jobHandlers} from './jobs/handlers/job-handlers.js'
import {deleteExpiredJobs} from './jobs/handlers/retention.js'
import {JobEngine} from './jobs/job-engine.js'
import {JobEvents} from './jobs/job-events.js'
import {type ResolvedOptions, resolveOptions, type ServerHandle, type ServerOptions} from './options.js'
import {recoverAfterRestart} from './recovery.js'
import {DataLayout} from './repos/layout.js'
import {EventStreams} from './routes/event-routes.js'
import {createTesting} from './testing.js'

export type {Role} from './auth/users.js'
export {NodeNameInUseError} from './cluster/node-registry.js'
export {DataDirLockedError} from './db/data-dir-lock.js'
export type {WireJob} from './jobs/job-row.js'
export type {SeedJob, ServerHandle, ServerOptions, ServerTesting} from './options.js'
export {FEATURES, FEATURES_HEADER} from './routes/health-routes.js'

/** A single server has no node name: the `node` column of its jobs stays empty. */
const LOCAL_NODE = ''

const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}

function buildServices(options: ResolvedOptions, data: Storage, node: string, cluster?: ClusterMembership): Services {
  const {users, apiKeys, refreshTokens, revoked} = data.auth
  const accessTokens = new AccessTokens(loadOrCreateJwtSecret(options.dataDir), revoked, options.accessTokenTtlSeconds)
  const events = new JobEvents()
  const storage = new StorageMonitor(options.dataDir)
  const layout = new DataLayout(options.dataDir)
  const services: Omit<Services, 'engine'> = {
    options,
    data,
    node,
    cluster,
    users,
    accessTokens,
    refreshTokens,
    apiKeys,
    authenticator: new Authenticator(users, accessTokens, apiKeys),
    loginLimiter: new LoginLimiter(options.loginRateLimit.max, options.loginRateLimit.windowMs),
    jobs: data.jobs,
    events,
    repos: data.repos,
    index: data.index,
    layout,
    storage,
    startedAtMs: Date.now(),
    version,
  }
  const handlers = jobHandlers({
    layout,
    repos: data.repos,
    index: data.index,
    deleteExpiredJobs: (maxAgeHours) => deleteExpiredJobs(services, maxAgeHours),
  })
  const engine = new JobEngine({
    store: data.jobs,
    processes: data.processes,
    events,
    handlers,
    node,
    peers: cluster?.peers,
    storage,
    options: {
      workers: options.workers,
      throttleMs: options.jobThrottleMs,
      gitStallTimeoutMs: options.gitStallTimeoutSeconds * 1000,
    },
  })
  return {...services, engine}
}

/** The first start makes `admin`; its password is the one given, else a generated one. */
async function ensureAdmin(
  users: Services['users'],
  password: string | undefined,
): Promise<{generated: boolean; password: string}> {
  if (await users.get('admin')) return {password: password ?? '', generated: false}
  const chosen = password ?? randomBytes(18).toString('base64url')
  // Another node may make it at the same instant: then its password holds, and this start says nothing.
  if (!(await users.create('admin', chosen, 'admin'))) return {password: password ?? '', generated: false}
  return {password: chosen, generated: password === undefined}
}

/** The periodic retention run, as a `system` job like the real server's `data-retention-...` jobs. */
function scheduleRetention(services: Services): NodeJS.Timeout {
  const submit = async () => {
    services.storage.assertWritable()
    await services.engine.submit({
      operationType: 'data_retention_cleanup',
      username: 'system',
      repository: null,
      jobId: `data-retention-${randomBytes(4).toString('hex')}`,
      params: {retentionHours: services.options.retentionHours},
      // One at a time, on whichever node: a run still pending or running makes this one unneeded.
      activeKey: 'data_retention_cleanup',
    })
  }

  const submitUnlessStorageFails = async () => {
    try {
      await submit()
    } catch (error) {
      if (error instanceof ActiveJobConflictError) return
      // Storage refused the job: the next interval tries again. Anything else is a bug to surface.
      if (storageFault(error) === null) throw error
      services.storage.noteFailure(error)
    }
  }

  return setInterval(() => submitUnlessStorageFails(), services.options.cleanupIntervalMs).unref()
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * Starts the local CIDX-compatible jobs server: opens (or creates) the data dir, recovers from an
 * unclean stop, listens, and runs jobs until `close()`. Rejects with DataDirLockedError while
 * another live server holds the data dir (before touching anything in it).
 */
export async function startServer(serverOptions: ServerOptions): Promise<ServerHandle> {
  const options = resolveOptions({...serverOptions, dataDir: resolve(serverOptions.dataDir)})
  mkdirSync(options.dataDir, {recursive: true, mode: 0o700})
  if (options.database !== undefined) return startClusterNode(options, options.database)
  const lock = lockDataDir(options.dataDir)
  let data: SqliteStorage | undefined
  try {
    data = openSqliteStorage(options.dataDir, options)
    const sqlite = data
    return await startOnStorage(options, data, {
      node: LOCAL_NODE,
      release: lock.release,
      testing: (services, streams) => testingOf(services, streams, sqlite.db),
    })
  } catch (error) {
    await data?.close()
    lock.release()
    throw error
  }
}

/** The test helpers over the node's storage, whichever it is; `db` only on SQLite. */
function testingOf(services: Services, streams: EventStreams, db?: SqliteStorage['db']): ServerHandle['testing'] {
  const {data, engine, events, accessTokens, node} = services
  return createTesting({data, db, engine, events, accessTokens, node, streams})
}

/** How a start differs by store: the node and its cluster, what to release at the end, the test helpers. */
interface StartParts {
  cluster?: ClusterMembership
  node: string
  release(): Awaitable<void>
  testing(services: Services, streams: EventStreams): ServerHandle['testing']
}

/**
 * Starts one node of a cluster on PostgreSQL: the schema brought up to date, the node's name
 * taken (refused while a live node holds it), its own previous life swept. Nodes share the data
 * dir, so there is no data-dir lock: the name is the node's lock.
 */
async function startClusterNode(options: ResolvedOptions, databaseUrl: string): Promise<ServerHandle> {
  const onError = (error: Error) => console.error(`cidx node ${options.nodeName}: ${error.message}`)
  const data = await openPostgresStorage(databaseUrl, {
    archiveDir: join(options.dataDir, 'archive'),
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds,
    onIdleError: onError,
  })
  let cluster: ClusterMembership | undefined
  try {
    cluster = await joinCluster({
      databaseUrl,
      pool: data.pool,
      name: options.nodeName,
      heartbeatMs: options.heartbeatSeconds * 1000,
      timeoutMs: options.nodeTimeoutSeconds * 1000,
      onError,
    })
    const membership = cluster
    return await startOnStorage(options, data, {
      cluster,
      node: options.nodeName,
      release: () => membership.leave(),
      testing: (services, streams) => testingOf(services, streams),
    })
  } catch (error) {
    await cluster?.leave()
    await data.close()
    throw error
  }
}

async function startOnStorage(options: ResolvedOptions, data: Storage, parts: StartParts): Promise<ServerHandle> {
  const services = buildServices(options, data, parts.node, parts.cluster)
  const streams = new EventStreams()
  services.layout.ensure()
  await (parts.cluster ? parts.cluster.sweepOwnPast(services) : recoverAfterRestart(services))
  const admin = await ensureAdmin(services.users, options.adminPassword)
  const app = buildApp({
    services,
    streams,
    dummyPasswordHash: await hashPassword(randomBytes(16).toString('hex')),
  })
  // Added after the routes, it still runs for all of them: Fastify binds hooks when it starts.
  guardStorage(app, services.storage)
  await app.listen({port: options.port, host: options.host})
  const url = urlOf(app.server.address() as AddressInfo)
  await parts.cluster?.start(services, url)
  services.engine.pump()
  const retentionTimer = scheduleRetention(services)
  let closing: Promise<void> | undefined
  const close = async () => {
    clearInterval(retentionTimer)
    streams.endAll()
    await app.close()
    await services.engine.shutdown()
    await parts.release()
    await data.close()
  }

  return {
    url,
    node: parts.node,
    adminPassword: admin.password,
    adminPasswordGenerated: admin.generated,
    close: () => (closing ??= close()),
    testing: parts.testing(services, streams),
  }
}
