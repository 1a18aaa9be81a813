import {randomUUID} from 'node:crypto'

import type {AccessTokens} from './auth/access-tokens.js'
import type {Db} from './db/database.js'
import type {NewStoredJob, Storage} from './db/storage.js'
import type {JobEngine} from './jobs/job-engine.js'
import type {JobEvents} from './jobs/job-events.js'
import type {JobChanges} from './jobs/job-store.js'
import type {SeedJob, ServerTesting} from './options.js'
import type {EventStreams} from './routes/event-routes.js'

import {toWireJob, type WireJob} from './jobs/job-row.js'
import {nowMicros, parseIsoMicros} from './time.js'

function toMicros(value: Date | string): number {
  if (value instanceof Date) return value.getTime() * 1000
  const micros = parseIsoMicros(value)
  if (micros === null) throw new Error(`Not an ISO timestamp: ${value}`)
  return micros
}

function toMicrosOrNull(value: Date | null | string | undefined): null | number | undefined {
  return value === null || value === undefined ? value : toMicros(value)
}

/** Seed fields in wire terms to column values; fields not given stay undefined (untouched). */
function seedToColumns(seed: Omit<SeedJob, 'job_id'>): JobChanges {
  return {
    operation_type: seed.operation_type,
    status: seed.status,
    created_us: seed.created_at === undefined ? undefined : toMicros(seed.created_at),
    started_us: toMicrosOrNull(seed.started_at),
    completed_us: toMicrosOrNull(seed.completed_at),
    updated_us: seed.updated_at === undefined ? undefined : toMicros(seed.updated_at),
    progress: seed.progress,
    result: seed.result,
    error: seed.error,
    username: seed.username,
    current_phase: seed.current_phase,
    phase_detail: seed.phase_detail,
    repository: seed.repository,
  }
}

function aliasOf(result: null | Record<string, unknown> | undefined): null | string {
  return typeof result?.alias === 'string' ? result.alias : null
}

export interface TestingParts {
  accessTokens: AccessTokens
  /** Where the helpers read and write: either store, so a cluster node's tests seed it as a single server's. */
  data: Storage
  /** The raw SQLite handle; undefined on PostgreSQL. */
  db?: Db
  engine: JobEngine
  events: JobEvents
  /** The node's name ('' for a single server): a seeded running job runs here, so a restart sweeps it. */
  node: string
  streams: EventStreams
}

function newJobRow(seed: SeedJob, node: string): NewStoredJob {
  const columns = seedToColumns(seed)
  const createdUs = columns.created_us ?? nowMicros()
  const status = columns.status ?? 'pending'
  return {
    ...columns,
    job_id: seed.job_id ?? randomUUID(),
    operation_type: columns.operation_type ?? 'sync_repository',
    status,
    created_us: createdUs,
    updated_us: columns.updated_us ?? columns.started_us ?? createdUs,
    progress: columns.progress ?? (status === 'running' ? 10 : 0),
    username: columns.username ?? 'admin',
    repository: seed.repository === undefined ? aliasOf(seed.result) : seed.repository,
    node: status === 'running' && node !== '' ? node : null,
  }
}

export function createTesting(parts: TestingParts): ServerTesting {
  const {data, db, engine, events, accessTokens, node, streams} = parts
  const {users} = data.auth
  return {
    async createUser(username, password, role) {
      if (!(await users.create(username, password, role))) throw new Error(`User '${username}' already exists`)
    },

    async insertJob(seed) {
      const wire = toWireJob(await data.jobs.insert(newJobRow(seed, node)), true)
      events.publish(wire)
      return wire
    },

    async updateJob(jobId, changes) {
      const row = await data.jobs.update(jobId, seedToColumns(changes))
      if (!row) throw new Error(`No job ${jobId}`)
      const wire: WireJob = toWireJob(row, true)
      events.publish(wire)
      return wire
    },

    async archiveJob(jobId) {
      const row = await data.jobs.get(jobId)
      if (!row) throw new Error(`No job ${jobId}`)
      // A sweep asks for rows until it gets none: this one job, then nothing.
      const batches = [[row]]
      await data.history.sweep(() => batches.shift() ?? [])
    },

    childPids: (jobId) => engine.childPids(jobId),

    countJobs: async (filter = {}) => data.jobs.countFromTally(filter.username, filter.status),

    async createAccessToken(username, options = {}) {
      const role = (await users.get(username))?.role ?? 'normal_user'
      return (await accessTokens.issue(username, role, options.claims, options.ttlSeconds)).token
    },

    revokeAccessToken: (token) => accessTokens.revoke(token),

    searchIndex: async (repoKey, query, limit = 20) => data.index.search(repoKey, query, limit),

    indexKeys: async () => data.index.keyCounts(),

    db,

    eventStreams: () => streams.list(),
  }
}
