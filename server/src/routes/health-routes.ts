import type {FastifyInstance} from 'fastify'

import type {Principal} from '../auth/authenticator.js'
import type {JobRow} from '../jobs/job-row.js'
import type {Services} from '../services.js'

import {storageFailureMessage} from '../db/storage-errors.js'
import {isAdmin} from '../http/auth-hooks.js'
import {HOUR_US} from '../jobs/handlers/retention.js'
import {isoZ, nowMicros} from '../time.js'

/** What this server offers beyond a real CIDX server; clients feature-detect these. */
export const FEATURES = ['job_filters', 'job_events', 'cleanup_preview', 'job_stats'] as const

/**
 * The header that names FEATURES on every API answer, so that a client learns them from the
 * answers it gets anyway: a real server has no such header (and its GET /health needs a token).
 */
export const FEATURES_HEADER = 'x-cidx-features'

function secondsBetween(fromUs: number, toUs: number): number {
  return Math.max(0, Math.round((toUs - fromUs) / 1_000_000))
}

async function databaseStatus(services: Services): Promise<'error' | 'ok'> {
  try {
    await services.jobs.countsByStatus()
    return 'ok'
  } catch {
    return 'error'
  }
}

/** Running jobs whose progress has not moved for longer than the threshold. */
async function stuckJobs(services: Services, nowUs: number): Promise<JobRow[]> {
  const cutoffUs = nowUs - services.options.health.stuckAfterSeconds * 1_000_000
  return (await services.jobs.runningSilentSince(cutoffUs))
    .map((row) => services.engine.liveRow(row))
    .filter((row) => row.updated_us < cutoffUs)
}

/** A cluster's nodes: each one's last heartbeat and running jobs; the stale ones name a reason. */
async function clusterNodes(services: Services): Promise<null | {nodes: Record<string, unknown>[]; stale: string[]}> {
  if (!services.cluster) return null
  const running = new Map<string, number>()
  for (const row of await services.jobs.running()) if (row.node) running.set(row.node, (running.get(row.node) ?? 0) + 1)
  const rows = await services.cluster.nodes()
  return {
    stale: rows.filter((row) => row.stale).map((row) => row.name),
    nodes: rows.map((row) => ({
      name: row.name,
      url: row.url,
      last_heartbeat: isoZ(new Date(row.heartbeat_us / 1000)),
      running: running.get(row.name) ?? 0,
      stale: row.stale,
    })),
  }
}

/** The stuck jobs the caller may see by name: an admin all of them, anyone else their own. */
function stuckDetails(stuck: JobRow[], viewer: Principal, nowUs: number): Record<string, unknown>[] {
  return stuck
    .filter((row) => isAdmin(viewer) || row.username === viewer.username)
    .map((row) => ({
      job_id: row.job_id,
      operation_type: row.operation_type,
      username: row.username,
      seconds_since_progress: secondsBetween(row.updated_us, nowUs),
    }))
}

/**
 * `GET /health`: the server's state with a jobs section. `degraded` when a running job is stuck,
 * the queue is backed up or the data dir's storage is full or failing (writes are refused then);
 * `unhealthy` (503) when the database cannot be read. Without a token it tells counts only
 * (clients read `features` from it before they log in); with one it also names the stuck jobs
 * the caller may see. A token that is sent must be valid.
 */
export function registerHealthRoutes(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/')) reply.header(FEATURES_HEADER, FEATURES.join(', '))
  })
  app.get('/health', async (request, reply) => {
    const database = await databaseStatus(services)
    if (database === 'error') {
      return reply.code(503).send({
        status: 'unhealthy',
        timestamp: isoZ(),
        version: services.version,
        features: FEATURES,
        database: {status: database},
      })
    }

    const viewer =
      request.headers.authorization === undefined ? null : await services.authenticator.authenticate(request)
    const nowUs = nowMicros()
    const counts = await services.jobs.countsByStatus()
    const oldestPending = await services.jobs.oldestPending()
    const oldestPendingAge = oldestPending ? secondsBetween(oldestPending.created_us, nowUs) : null
    const stuck = await stuckJobs(services, nowUs)
    const cluster = await clusterNodes(services)
    const {stuckAfterSeconds, queueWaitWarningSeconds} = services.options.health
    const reasons: string[] = []
    const storageProblem = services.storage.problem()
    if (storageProblem) reasons.push(storageFailureMessage(storageProblem))
    if (stuck.length > 0)
      reasons.push(`${stuck.length} running job(s) made no progress for more than ${stuckAfterSeconds} s`)
    if (cluster && cluster.stale.length > 0)
      reasons.push(
        `node(s) ${cluster.stale.join(', ')} stopped sending heartbeats (more than ${services.options.nodeTimeoutSeconds} s ago)`,
      )
    if (oldestPendingAge !== null && oldestPendingAge > queueWaitWarningSeconds) {
      reasons.push(`the oldest pending job has waited ${oldestPendingAge} s (more than ${queueWaitWarningSeconds} s)`)
    }

    return {
      status: reasons.length > 0 ? 'degraded' : 'healthy',
      timestamp: isoZ(),
      version: services.version,
      uptime_seconds: Math.round((Date.now() - services.startedAtMs) / 1000),
      features: FEATURES,
      reasons,
      database: {status: database},
      storage: {status: storageProblem ? storageProblem.fault : 'ok'},
      ...(cluster ? {node: services.node, nodes: cluster.nodes} : {}),
      jobs: {
        workers: services.options.workers,
        pending: counts.pending ?? 0,
        running: counts.running ?? 0,
        oldest_pending_age_seconds: oldestPendingAge,
        stuck_count: stuck.length,
        ...(viewer === null ? {} : {stuck: stuckDetails(stuck, viewer, nowUs)}),
        failed_last_hour: await services.jobs.failedSince(nowUs - HOUR_US),
        by_status: counts,
      },
    }
  })
}
