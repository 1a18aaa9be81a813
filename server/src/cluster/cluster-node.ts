import type pg from 'pg'

import type {StoredJobRow} from '../db/storage.js'
import type {PeerSignals} from '../jobs/job-engine.js'
import type {Services} from '../services.js'

import {type ClusterWireJob, toWireJob} from '../jobs/job-row.js'
import {ClusterBus, type JobEventPayload} from './cluster-bus.js'
import {sweepNode} from './dead-node-sweep.js'
import {NodeRegistry, type NodeRow} from './node-registry.js'

/** A running job here reads the cancels asked for on other nodes this often, should a notification be lost. */
const CANCEL_CHECK_MS = 500
/** Free slots look for pending jobs this often, should a notification be lost. */
const CLAIM_CHECK_MS = 1000
/** At most this many changes are replayed after the bus was away: beyond them, a watcher's own re-read is cheaper. */
const REPLAY_LIMIT = 5000

export interface ClusterOptions {
  databaseUrl: string
  heartbeatMs: number
  name: string
  /** Where a node's own troubles go (a lost connection, a failed sweep): they never end the process. */
  onError: (error: Error) => void
  pool: pg.Pool
  timeoutMs: number
}

/** What the rest of the server sees of the cluster: the node list (health) and the signals for the engine. */
export interface ClusterMembership {
  /** Stops the node's timers and listening, and frees its name. */
  leave(): Promise<void>
  /** Every node, marked stale when its beat is older than the timeout. */
  nodes(): Promise<NodeRow[]>
  readonly peers: PeerSignals
  /** Starts what needs the whole server: events both ways, the cancel and claim checks, beats and sweeps. */
  start(services: Services, url: string): Promise<void>
  /** Sweeps this node's own previous life (a kill, a crash) before it takes any work. */
  sweepOwnPast(services: Services): Promise<void>
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/** This node's part in the cluster: its name, its heartbeat, and the bus to the others. */
export async function joinCluster(options: ClusterOptions): Promise<ClusterMembership> {
  const {name, pool, onError} = options
  const registry = new NodeRegistry(pool, {
    name,
    heartbeatMs: options.heartbeatMs,
    timeoutMs: options.timeoutMs,
    onError,
  })
  await registry.claim(null)
  let bus: ClusterBus
  try {
    bus = await ClusterBus.open(options.databaseUrl, pool, {onError, applicationName: `cidx-listen ${name}`})
  } catch (error) {
    await registry.release()
    throw error
  }

  const report = (error: unknown) => onError(asError(error))
  /** Work nobody waits for: its failure is reported, never thrown. */
  const detach = (work: Promise<unknown>) => {
    work.catch(report)
  }

  const timers: NodeJS.Timeout[] = []
  const unsubscribers: (() => void)[] = []
  const peers: PeerSignals = {
    cancelRequested: (jobId) => detach(bus.publishCancel(jobId)),
    jobPending: () => detach(bus.publishPending()),
  }

  /** A change from another node, to this node's streams; one too large to travel whole is read here. */
  const relay = async (services: Services, payload: JobEventPayload) => {
    if (payload.origin === name) return
    if (typeof payload.status !== 'string') {
      const row = await services.jobs.get(payload.job_id)
      if (row) services.events.deliver(toWireJob(row, true))
      return
    }

    const job = Object.fromEntries(Object.entries(payload).filter(([key]) => key !== 'origin'))
    services.events.deliver(job as unknown as ClusterWireJob)
  }

  /** Jobs changed while the bus was away go to this node's streams again (a second of margin for clocks). */
  const replayChanges = async (services: Services, sinceUs: number) => {
    const changed = await pool.query<StoredJobRow>(
      'SELECT * FROM jobs WHERE updated_us >= $1 ORDER BY updated_us LIMIT $2',
      [sinceUs - 1_000_000, REPLAY_LIMIT],
    )
    for (const row of changed.rows) services.events.deliver(toWireJob(row, true))
  }

  const checkCancels = async (services: Services) => {
    for (const jobId of await services.jobs.cancelRequestedOn(name)) services.engine.cancelHere(jobId)
  }

  const sweepDeadNodes = async (services: Services) => {
    await registry.withSweepLock(async () => {
      for (const node of await registry.staleNodes()) if (node !== name) await sweepNode(services, node)
    })
  }

  return {
    peers,
    nodes: () => registry.list(),
    async sweepOwnPast(services) {
      await sweepNode(services, name)
    },
    async start(services, url) {
      await registry.setUrl(url)
      const {engine, events} = services
      unsubscribers.push(
        events.onLocal((job) => detach(bus.publishEvent({...job, origin: name}))),
        bus.onEvent((payload) => detach(relay(services, payload))),
        bus.onCancel((jobId) => {
          engine.cancelHere(jobId)
        }),
        bus.onPending(() => engine.pump()),
        // After the listening connection was lost: what was missed may include pending jobs, cancels and changes.
        bus.onResync((lostAtUs) => {
          engine.pump()
          detach(checkCancels(services))
          detach(replayChanges(services, lostAtUs))
        }),
      )
      timers.push(
        setInterval(() => detach(checkCancels(services)), CANCEL_CHECK_MS).unref(),
        setInterval(() => engine.pump(), CLAIM_CHECK_MS).unref(),
      )
      registry.start(() => sweepDeadNodes(services))
    },
    async leave() {
      for (const timer of timers.splice(0)) clearInterval(timer)
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe()
      await registry.stop()
      await bus.close()
      await registry.release()
    },
  }
}
