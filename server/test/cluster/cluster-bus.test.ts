import {expect} from 'chai'
import {performance} from 'node:perf_hooks'
import {setTimeout as sleep} from 'node:timers/promises'
import pg from 'pg'

import {ClusterBus, type JobEventPayload, MAX_EVENT_BYTES} from '../../src/cluster/cluster-bus.js'
import {eventually} from '../support/api.js'
import {usePostgres} from '../support/postgres.js'

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]
}

describe('server: the cluster bus (LISTEN/NOTIFY) on PostgreSQL', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  let buses: ClusterBus[] = []
  let errors: Error[] = []
  const open = async () => {
    const bus = await ClusterBus.open(postgres.server().url, pool, {onError: (error) => errors.push(error)})
    buses.push(bus)
    return bus
  }

  /** A sender and a receiver whose events and resyncs are recorded. */
  const openRecorded = async () => {
    const [sender, receiver] = [await open(), await open()]
    const seen = {received: [] as string[], resyncs: 0}
    receiver.onEvent((event) => {
      seen.received.push(event.job_id)
    })
    receiver.onResync(() => {
      seen.resyncs += 1
    })
    return {sender, receiver, seen}
  }

  const listenerAlive = async (pid: number) => {
    const found = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])
    return found.rowCount === 1
  }

  before(() => {
    pool = postgres.pool(4)
  })

  afterEach(async () => {
    for (const bus of buses) await bus.close()
    buses = []
    errors = []
  })

  it('delivers events from one node to another in order, and measures the latency', async () => {
    const [sender, receiver] = [await open(), await open()]
    const sentAt = new Map<string, number>()
    const latencies: number[] = []
    const received: string[] = []
    receiver.onEvent((event) => {
      received.push(event.job_id)
      latencies.push(performance.now() - (sentAt.get(event.job_id) ?? Number.NaN))
    })
    const ids = Array.from({length: 100}, (_, at) => `job-${at}`)
    for (const id of ids) {
      sentAt.set(id, performance.now())
      await sender.publishEvent({job_id: id, status: 'running', progress: 10})
    }

    await eventually(() => received.length === ids.length)
    expect(received).to.deep.equal(ids)
    const p50 = percentile(latencies, 0.5).toFixed(2)
    const p95 = percentile(latencies, 0.95).toFixed(2)
    console.log(`      notify latency over ${latencies.length}: p50 ${p50} ms, p95 ${p95} ms`)
    expect(errors).to.deep.equal([])
  })

  it('carries the whole event when it fits, and only its job_id when it does not', async () => {
    const [sender, receiver] = [await open(), await open()]
    const events: JobEventPayload[] = []
    receiver.onEvent((event) => {
      events.push(event)
    })
    const small = {job_id: 'small', status: 'completed', result: 'x'.repeat(MAX_EVENT_BYTES - 100)}
    // Multi-byte characters: the limit is on bytes, not on characters.
    const large = {job_id: 'large', status: 'completed', result: 'é'.repeat(MAX_EVENT_BYTES / 2)}
    await sender.publishEvent(small)
    await sender.publishEvent(large)
    await eventually(() => events.length === 2)
    expect(events).to.deep.equal([small, {job_id: 'large'}])
  })

  it('delivers cancels and pending pings, to every listening node including the sender', async () => {
    const [a, b] = [await open(), await open()]
    const seen: string[] = []
    for (const [name, bus] of [['a', a] as const, ['b', b] as const]) {
      bus.onCancel((jobId) => {
        seen.push(`${name} cancel ${jobId}`)
      })
      bus.onPending(() => {
        seen.push(`${name} pending`)
      })
    }

    await a.publishCancel('job-7')
    await b.publishPending()
    await eventually(() => seen.length === 4)
    expect(seen.sort()).to.deep.equal(['a cancel job-7', 'a pending', 'b cancel job-7', 'b pending'])
  })

  it('sends an event given a transaction only when that transaction commits', async () => {
    const [sender, receiver] = [await open(), await open()]
    const received: string[] = []
    receiver.onEvent((event) => {
      received.push(event.job_id)
    })
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await sender.publishEvent({job_id: 'rolled-back'}, client)
      await client.query('ROLLBACK')
      await client.query('BEGIN')
      await sender.publishEvent({job_id: 'committed'}, client)
      await sleep(100)
      expect(received).to.deep.equal([])
      await client.query('COMMIT')
    } finally {
      client.release()
    }

    await eventually(() => received.length === 1)
    expect(received).to.deep.equal(['committed'])
  })

  it('reports a throwing or rejecting handler and still calls the others', async () => {
    const [sender, receiver] = [await open(), await open()]
    const received: string[] = []
    receiver.onEvent(() => {
      throw new Error('handler threw')
    })
    receiver.onEvent(async () => {
      throw new Error('handler rejected')
    })
    receiver.onEvent((event) => {
      received.push(event.job_id)
    })
    await sender.publishEvent({job_id: 'j-1'})
    await eventually(() => received.length === 1 && errors.length === 2)
    expect(errors.map((error) => error.message).sort()).to.deep.equal(['handler rejected', 'handler threw'])
  })

  it('reconnects after its backend is terminated, resyncs, and receives later notifications', async () => {
    const {sender, receiver, seen} = await openRecorded()
    const firstPid = receiver.backendPid
    expect(firstPid).to.be.a('number')
    for (const round of [1, 2]) {
      const pid = receiver.backendPid
      await pool.query('SELECT pg_terminate_backend($1)', [pid])
      await eventually(() => seen.resyncs === round)
      expect(receiver.backendPid).to.be.a('number').and.not.equal(pid)
      await sender.publishEvent({job_id: `after-${round}`})
      await eventually(() => seen.received.length === round)
    }

    expect(seen.received).to.deep.equal(['after-1', 'after-2'])
    expect(await listenerAlive(firstPid ?? 0)).to.equal(false)
    expect(errors.length).to.be.greaterThan(0)
  })

  it('keeps retrying while the database refuses connections, and resyncs once it takes them again', async () => {
    const receiver = await open()
    let resyncs = 0
    receiver.onResync(() => {
      resyncs += 1
    })
    // A connection to another database: PostgreSQL will not close the one it is connected to.
    const adminUrl = new URL(postgres.server().url)
    adminUrl.pathname = '/postgres'
    const admin = new pg.Client(adminUrl.toString())
    await admin.connect()
    try {
      await admin.query('ALTER DATABASE cidx ALLOW_CONNECTIONS false')
      await admin.query('SELECT pg_terminate_backend($1)', [receiver.backendPid])
      await sleep(700)
      // Attempts at 100 and 300 ms after the drop (then 700): each refused and reported, none resynced.
      expect(
        errors.filter((error) => /not currently accepting connections/.test(error.message)),
      ).to.have.length.of.at.least(2)
      expect(resyncs).to.equal(0)
      expect(receiver.backendPid).to.equal(undefined)
    } finally {
      await admin.query('ALTER DATABASE cidx ALLOW_CONNECTIONS true')
      await admin.end()
    }

    await eventually(() => resyncs === 1)
    expect(receiver.backendPid).to.be.a('number')
  })

  it('stops for good at close: no more deliveries, no reconnect, its backend gone', async () => {
    const {sender, receiver, seen} = await openRecorded()
    const pid = receiver.backendPid ?? 0
    await receiver.close()
    await eventually(async () => !(await listenerAlive(pid)))
    await sender.publishEvent({job_id: 'after-close'})
    await sleep(300)
    expect(seen.received).to.deep.equal([])
    expect(seen.resyncs).to.equal(0)
    expect(receiver.backendPid).to.equal(undefined)
    expect(errors).to.deep.equal([])
  })

  it('refuses to open when PostgreSQL cannot be reached', async () => {
    const url = new URL(postgres.server().url)
    url.password = 'wrong'
    let refused: unknown
    try {
      await ClusterBus.open(url.toString(), pool)
    } catch (error) {
      refused = error
    }

    expect(String(refused)).to.match(/password authentication failed/)
  })
})
