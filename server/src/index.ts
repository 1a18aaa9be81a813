import type {AddressInfo} from 'node:net'

import {randomBytes} from 'node:crypto'
import {mkdirSync, readFileSync} from 'node:fs'
import {resolve} from 'node:path'

import type {Services} from './services.js'

import {AccessTokens} from './auth/access-tokens.js'
import {ApiKeys} from './auth/api-keys.js'
import {Authenticator} from './auth/authenticator.js'
import {LoginLimiter} from './auth/login-limiter.js'
import {hashPassword} from './auth/passwords.js'
import {RefreshTokens} from './auth/refresh-tokens.js'
import {loadOrCreateJwtSecret} from './auth/secret.js'
import {UserStore} from './auth/users.js'
import {lockDataDir} from './db/data-dir-lock.js'
import {type Db, openDatabase} from './db/database.js'
import {storageFault} from './db/storage-errors.js'
import {StorageMonitor} from './db/storage-monitor.js'
import {buildApp} from './http/app.js'
import {guardStorage} from './http/storage-guard.js'
import {FileIndex} from './indexer/file-index.js'
import {cleanupMessage, deleteExpiredJobs} from './jobs/handlers/retention.js'
import {JobEngine} from './jobs/job-engine.js'
import {JobEvents} from './jobs/job-events.js'
import {JobStore} from './jobs/job-store.js'
import {type ResolvedOptions, resolveOptions, type ServerHandle, type ServerOptions} from './options.js'
import {recoverAfterRestart} from './recovery.js'
import {DataLayout} from './repos/layout.js'
import {RepoStore} from './repos/repo-store.js'
import {EventStreams} from './routes/event-routes.js'
import {createTesting} from './testing.js'

export type {Role} from './auth/users.js'
export {DataDirLockedError} from './db/data-dir-lock.js'
export type {WireJob} from './jobs/job-row.js'
export type {SeedJob, ServerHandle, ServerOptions, ServerTesting} from './options.js'
export {FEATURES, FEATURES_HEADER} from './routes/health-routes.js'

const {version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}

function buildServices(options: ResolvedOptions, db: Db): Services {
  const users = new UserStore(db)
  const accessTokens = new AccessTokens(loadOrCreateJwtSecret(options.dataDir), db, options.accessTokenTtlSeconds)
  const apiKeys = new ApiKeys(db)
  const jobs = new JobStore(db)
  const events = new JobEvents()
  const storage = new StorageMonitor(options.dataDir)
  const engineOptions = {
    workers: options.workers,
    throttleMs: options.jobThrottleMs,
    gitStallTimeoutMs: options.gitStallTimeoutSeconds * 1000,
  }
  return {
    options,
    db,
    users,
    accessTokens,
    refreshTokens: new RefreshTokens(db, options.refreshTokenTtlSeconds),
    apiKeys,
    authenticator: new Authenticator(users, accessTokens, apiKeys),
    loginLimiter: new LoginLimiter(options.loginRateLimit.max, options.loginRateLimit.windowMs),
    jobs,
    engine: new JobEngine({db, store: jobs, events, storage, options: engineOptions}),
    events,
    repos: new RepoStore(db),
    index: new FileIndex(db),
    layout: new DataLayout(options.dataDir),
    storage,
    startedAtMs: Date.now(),
    version,
  }
}

/** The first start makes `admin`; its password is the one given, else a generated one. */
async function ensureAdmin(
  users: UserStore,
  password: string | undefined,
): Promise<{generated: boolean; password: string}> {
  if (users.get('admin')) return {password: password ?? '', generated: false}
  const chosen = password ?? randomBytes(18).toString('base64url')
  await users.create('admin', chosen, 'admin')
  return {password: chosen, generated: password === undefined}
}

/** The periodic retention run, as a `system` job like the real server's `data-retention-...` jobs. */
function scheduleRetention(services: Services): NodeJS.Timeout {
  let lastJobId: string | undefined
  const submit = () => {
    const last = lastJobId === undefined ? undefined : services.jobs.get(lastJobId)
    if (last && (last.status === 'pending' || last.status === 'running')) return
    services.storage.assertWritable()
    lastJobId = services.engine.submit({
      operationType: 'data_retention_cleanup',
      username: 'system',
      repository: null,
      jobId: `data-retention-${randomBytes(4).toString('hex')}`,
      async run(context) {
        context.report({
          progress: 50,
          phase: 'cleanup',
          detail: `Archiving and deleting jobs finished more than ${services.options.retentionHours} h ago`,
        })
        const cleaned = deleteExpiredJobs(services, services.options.retentionHours)
        return {success: true, cleaned_count: cleaned, message: cleanupMessage(cleaned)}
      },
    }).job_id
  }

  const submitUnlessStorageFails = () => {
    try {
      submit()
    } catch (error) {
      // Storage refused the job: the next interval tries again. Anything else is a bug to surface.
      if (storageFault(error) === null) throw error
      services.storage.noteFailure(error)
    }
  }

  return setInterval(submitUnlessStorageFails, services.options.cleanupIntervalMs).unref()
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
  const lock = lockDataDir(options.dataDir)
  let db: Db | undefined
  try {
    db = openDatabase(options.dataDir)
    return await startOnDatabase(options, db, lock.release)
  } catch (error) {
    db?.close()
    lock.release()
    throw error
  }
}

async function startOnDatabase(options: ResolvedOptions, db: Db, releaseLock: () => void): Promise<ServerHandle> {
  const services = buildServices(options, db)
  const streams = new EventStreams()
  services.layout.ensure()
  await recoverAfterRestart(services)
  const admin = await ensureAdmin(services.users, options.adminPassword)
  const deps = {db, layout: services.layout, repos: services.repos, index: services.index}
  const app = buildApp({
    services,
    deps,
    streams,
    dummyPasswordHash: await hashPassword(randomBytes(16).toString('hex')),
  })
  // Added after the routes, it still runs for all of them: Fastify binds hooks when it starts.
  guardStorage(app, services.storage)
  await app.listen({port: options.port, host: options.host})
  const retentionTimer = scheduleRetention(services)
  let closing: Promise<void> | undefined
  const close = async () => {
    clearInterval(retentionTimer)
    streams.endAll()
    await app.close()
    await services.engine.shutdown()
    db.close()
    releaseLock()
  }

  return {
    url: urlOf(app.server.address() as AddressInfo),
    adminPassword: admin.password,
    adminPasswordGenerated: admin.generated,
    close: () => (closing ??= close()),
    testing: createTesting({...services, db, streams}),
  }
}
