import {randomUUID} from 'node:crypto'

import type {AccessTokens} from './auth/access-tokens.js'
import type {UserStore} from './auth/users.js'
import type {Db} from './db/database.js'
import type {FileIndex} from './indexer/file-index.js'
import type {JobEngine} from './jobs/job-engine.js'
import type {JobEvents} from './jobs/job-events.js'
import type {JobChanges, JobStore, NewJob} from './jobs/job-store.js'
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
  db: Db
  engine: JobEngine
  events: JobEvents
  index: FileIndex
  jobs: JobStore
  streams: EventStreams
  users: UserStore
}

export function createTesting(parts: TestingParts): ServerTesting {
  const {db, users, jobs, engine, events, accessTokens, index, streams} = parts
  return {
    async createUser(username, password, role) {
      if (!(await users.create(username, password, role))) throw new Error(`User '${username}' already exists`)
    },

    insertJob(seed) {
      const columns = seedToColumns(seed)
      const createdUs = columns.created_us ?? nowMicros()
      const status = columns.status ?? 'pending'
      const row: NewJob = {
        ...columns,
        job_id: seed.job_id ?? randomUUID(),
        operation_type: columns.operation_type ?? 'sync_repository',
        status,
        created_us: createdUs,
        updated_us: columns.updated_us ?? columns.started_us ?? createdUs,
        progress: columns.progress ?? (status === 'running' ? 10 : 0),
        username: columns.username ?? 'admin',
        repository: seed.repository === undefined ? aliasOf(seed.result) : seed.repository,
      }
      const wire = toWireJob(jobs.insert(row), true)
      events.publish(wire)
      return wire
    },

    updateJob(jobId, changes) {
      const row = jobs.update(jobId, seedToColumns(changes))
      if (!row) throw new Error(`No job ${jobId}`)
      const wire: WireJob = toWireJob(row, true)
      events.publish(wire)
      return wire
    },

    childPids: (jobId) => engine.childPids(jobId),

    countJobs: (filter = {}) => jobs.countFromTally(filter.username, filter.status),

    async createAccessToken(username, options = {}) {
      const role = users.get(username)?.role ?? 'normal_user'
      return (await accessTokens.issue(username, role, options.claims, options.ttlSeconds)).token
    },

    revokeAccessToken: (token) => accessTokens.revoke(token),

    searchIndex: (repoKey, query, limit = 20) => index.search(repoKey, query, limit),

    indexKeys: () => index.keyCounts(),

    db,

    eventStreams: () => streams.list(),
  }
}

/**
 * A cluster node's test helpers: they read SQLite synchronously, so a node on PostgreSQL has
 * none (its tests go through HTTP). Each says so when called.
 */
export function unavailableTesting(): ServerTesting {
  return new Proxy({} as ServerTesting, {get: () => unavailable})
}

function unavailable(): never {
  throw new Error('The test helpers read SQLite: a cluster node on PostgreSQL has none')
}
