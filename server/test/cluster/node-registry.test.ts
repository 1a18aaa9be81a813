import type pg from 'pg'

import {expect} from 'chai'
import {setTimeout as sleep} from 'node:timers/promises'

import {rejection} from '../../../test/helpers/thrown.js'
import {NODE_MIGRATIONS, NodeNameInUseError, NodeRegistry} from '../../src/cluster/node-registry.js'
import {migrate} from '../../src/db/postgres/migrate.js'
import {eventually} from '../support/api.js'
import {usePostgres} from '../support/postgres.js'

describe('server: the cluster node registry on PostgreSQL', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  const registries: NodeRegistry[] = []
  const registry = (name: string, heartbeatMs = 50, timeoutMs = 200) => {
    const made = new NodeRegistry(pool, {name, heartbeatMs, timeoutMs})
    registries.push(made)
    return made
  }

  before(async () => {
    pool = postgres.pool(6)
    expect(await migrate(pool, NODE_MIGRATIONS)).to.deep.equal([40])
  })

  beforeEach(async () => {
    await pool.query('TRUNCATE nodes')
  })

  afterEach(async () => {
    for (const made of registries.splice(0)) await made.stop()
  })

  it('claims a free name, and lists it live with its url and the database clock', async () => {
    const before = Date.now() * 1000
    expect(await registry('node-1').claim('http://127.0.0.1:1')).to.equal(false)
    const [row] = await registry('node-1').list()
    expect(row).to.include({name: 'node-1', url: 'http://127.0.0.1:1', stale: false})
    expect(row.heartbeat_us).to.equal(row.started_us)
    expect(row.started_us)
      .to.be.a('number')
      .within(before - 5_000_000, before + 5_000_000)
  })

  it('refuses a name a live node holds, with the message the server prints', async () => {
    await registry('node-1').claim('http://a')
    const error = await rejection(registry('node-1').claim('http://b'))
    expect(error).to.be.instanceOf(NodeNameInUseError)
    expect(error.message).to.equal('Node name node-1 is in use')
    expect((await registry('x').list())[0].url).to.equal('http://a')
  })

  it('lets only one of two nodes starting with one name at once have it', async () => {
    const outcomes = await Promise.allSettled([registry('twin').claim('http://a'), registry('twin').claim('http://b')])
    expect(outcomes.map((outcome) => outcome.status).sort()).to.deep.equal(['fulfilled', 'rejected'])
  })

  it('takes over a stale row of its name and says so; a fresh claim says not', async () => {
    const first = registry('node-1')
    await first.claim('http://old')
    await sleep(260)
    const second = registry('node-1')
    expect(await second.claim('http://new')).to.equal(true)
    expect((await second.list())[0]).to.include({url: 'http://new', stale: false})
    // The previous life can neither beat for nor delete its successor's row.
    expect(await first.beat()).to.equal(false)
    await first.release()
    expect(await second.list()).to.have.length(1)
  })

  it('keeps a beating node fresh, and finds it stale once its beats stop', async () => {
    const beating = registry('node-1')
    await beating.claim(null)
    await registry('node-2').claim(null)
    let beats = 0
    beating.start(() => {
      beats += 1
    })
    await sleep(300)
    expect(await beating.staleNodes()).to.deep.equal(['node-2'])
    expect(beats).to.be.greaterThan(2)
    await beating.stop()
    const stoppedAt = beats
    await eventually(async () => (await beating.staleNodes()).length === 2)
    expect(beats).to.equal(stoppedAt)
    expect((await beating.list()).map((row) => row.stale)).to.deep.equal([true, true])
  })

  it('reports a failing onBeat and keeps beating', async () => {
    const errors: Error[] = []
    const node = new NodeRegistry(pool, {name: 'node-1', heartbeatMs: 30, onError: (error) => errors.push(error)})
    registries.push(node)
    await node.claim(null)
    node.start(() => {
      throw new Error('sweep failed')
    })
    await eventually(async () => errors.length >= 3)
    expect(errors[0].message).to.equal('sweep failed')
  })

  it('frees the name at release, so the next start takes it at once', async () => {
    const node = registry('node-1')
    await node.claim(null)
    node.start()
    await node.release()
    expect(await node.list()).to.deep.equal([])
    expect(await registry('node-1').claim(null)).to.equal(false)
  })

  it('lets one of two sweepers in while the other holds the lock, and both in turn', async () => {
    const [a, b] = [registry('node-1'), registry('node-2')]
    let release: (() => void) | undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = a.withSweepLock(async () => {
      await held
      return 'a swept'
    })
    await sleep(100)
    expect(await b.withSweepLock(async () => 'b swept')).to.deep.equal({ran: false})
    release?.()
    expect(await first).to.deep.equal({ran: true, value: 'a swept'})
    expect(await b.withSweepLock(async () => 'b swept')).to.deep.equal({ran: true, value: 'b swept'})
  })

  it("commits the sweep's writes with the lock, and rolls them back when it throws", async () => {
    const node = registry('node-1')
    await node.withSweepLock(async (client) => {
      await client.query("INSERT INTO nodes VALUES ('kept', NULL, 1, 1)")
    })
    const failed = node.withSweepLock(async (client) => {
      await client.query("INSERT INTO nodes VALUES ('dropped', NULL, 1, 1)")
      throw new Error('sweep failed')
    })
    expect((await rejection(failed)).message).to.equal('sweep failed')
    expect((await node.list()).map((row) => row.name)).to.deep.equal(['kept'])
  })
})
