import type pg from 'pg'

import {expect} from 'chai'

import type {NewStoredJob} from '../../../src/db/storage.js'

import {JOB_MIGRATIONS, PgJobStorage, PgProcessStorage} from '../../../src/db/postgres/job-storage.js'
import {migrate} from '../../../src/db/postgres/migrate.js'
import {ActiveJobConflictError} from '../../../src/db/storage.js'
import {usePostgres} from '../../support/postgres.js'

let created = 1_780_000_000_000_000

function pendingJob(jobId: string, fields: Partial<NewStoredJob> = {}): NewStoredJob {
  created += 1
  return {
    job_id: jobId,
    operation_type: 'add_golden_repo',
    status: 'pending',
    created_us: created,
    username: 'admin',
    params: {alias: jobId},
    ...fields,
  }
}

describe('server: claiming, cancelling and failing jobs on PostgreSQL', () => {
  const postgres = usePostgres()
  let nodeA: PgJobStorage
  let nodeB: PgJobStorage
  let poolA: pg.Pool

  before(async () => {
    poolA = postgres.pool(4)
    await migrate(poolA, JOB_MIGRATIONS)
    nodeA = new PgJobStorage(poolA)
    nodeB = new PgJobStorage(postgres.pool(4))
  })

  beforeEach(async () => {
    await poolA.query('TRUNCATE jobs, job_counts, job_processes RESTART IDENTITY')
  })

  it('refuses a second active job of one key from any node, naming the holder, until the first ends', async () => {
    const key = 'add_golden_repo:docs'
    const first = await nodeA.insert(pendingJob('first', {active_key: key}))
    const refused = await nodeB.insert(pendingJob('second', {active_key: key})).catch((error: unknown) => error)
    expect(refused).to.be.instanceOf(ActiveJobConflictError).and.include({activeKey: key})
    expect((refused as ActiveJobConflictError).holder).to.deep.equal(first)
    await nodeA.claimNext('node-a', created)
    const whileRunning = await nodeB.insert(pendingJob('third', {active_key: key})).catch((error: unknown) => error)
    expect((whileRunning as ActiveJobConflictError).holder?.job_id).to.equal('first')
    await nodeA.update('first', {status: 'completed'})
    expect((await nodeB.insert(pendingJob('after', {active_key: key}))).active_key).to.equal(key)
    expect(await nodeA.get('second')).to.equal(undefined)
  })

  it('lets exactly one of two nodes inserting one active key at the same moment succeed', async () => {
    const key = 'activate_repository:docs:alice'
    const outcomes = await Promise.allSettled([
      nodeA.insert(pendingJob('from-a', {active_key: key})),
      nodeB.insert(pendingJob('from-b', {active_key: key})),
    ])
    expect(outcomes.map((outcome) => outcome.status).sort()).to.deep.equal(['fulfilled', 'rejected'])
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected')
    expect(rejected?.reason).to.be.instanceOf(ActiveJobConflictError)
  })

  it('passes other errors through: a duplicate job id is not a conflict of active keys', async () => {
    await nodeA.insert(pendingJob('same', {active_key: 'k1'}))
    const duplicate = await nodeA.insert(pendingJob('same', {active_key: 'k2'})).catch((error: unknown) => error)
    expect(duplicate).not.to.be.instanceOf(ActiveJobConflictError)
    expect((duplicate as {constraint?: string}).constraint).to.equal('jobs_job_id_key')
  })

  it('claims the oldest runnable job, skipping jobs without params, and nothing once none is left', async () => {
    await nodeA.insert(pendingJob('seeded', {params: null}))
    await nodeA.insert(pendingJob('older'))
    await nodeA.insert(pendingJob('newer'))
    const first = await nodeA.claimNext('node-a', created + 10)
    expect(first).to.include({
      job_id: 'older',
      status: 'running',
      node: 'node-a',
      progress: 10,
      started_us: created + 10,
      updated_us: created + 10,
      params: '{"alias":"older"}',
    })
    expect((await nodeB.claimNext('node-b', created + 11))?.job_id).to.equal('newer')
    expect(await nodeA.claimNext('node-a', created + 12)).to.equal(undefined)
    expect(await nodeA.get('seeded')).to.include({status: 'pending', node: null})
  })

  it('a job one node is claiming is skipped by another, which neither waits nor takes it', async () => {
    await nodeA.insert(pendingJob('only'))
    const holder = await poolA.connect()
    try {
      await holder.query('BEGIN')
      expect((await new PgJobStorage(holder).claimNext('node-a', created + 1))?.job_id).to.equal('only')
      expect(await nodeB.claimNext('node-b', created + 2)).to.equal(undefined)
      await holder.query('COMMIT')
    } finally {
      holder.release()
    }

    expect(await nodeB.get('only')).to.include({status: 'running', node: 'node-a'})
  })

  it('runs each of 100 jobs exactly once when four pools of three claimers race for them', async () => {
    for (let at = 0; at < 100; at++) await nodeA.insert(pendingJob(`race-${at}`))
    const nodes = [0, 1, 2, 3].map(() => new PgJobStorage(postgres.pool(3)))
    const claimsOf = async (storage: PgJobStorage, node: string) => {
      const claimed: string[] = []
      const claimOne = async (): Promise<void> => {
        const job = await storage.claimNext(node, created)
        if (job === undefined) return
        claimed.push(job.job_id)
        return claimOne()
      }

      await Promise.all([claimOne(), claimOne(), claimOne()])
      return claimed
    }

    const claims = await Promise.all(nodes.map((storage, at) => claimsOf(storage, `node-${at}`)))
    const all = claims.flat()
    expect(all).to.have.length(100)
    expect(new Set(all).size).to.equal(100)
    expect(await nodeA.countsByStatus()).to.deep.equal({running: 100})
    const byNode = await poolA.query<{n: number; node: string}>('SELECT node, COUNT(*) AS n FROM jobs GROUP BY node')
    expect(byNode.rows.reduce((sum, row) => sum + row.n, 0)).to.equal(100)
  })

  it('a pending job cancelled while another node claims it ends one way only', async () => {
    for (let round = 0; round < 20; round++) {
      const job = await nodeA.insert(pendingJob(`contested-${round}`))
      const [cancelled, claimed] = await Promise.all([
        nodeA.cancelPending(job.job_id, created + 5),
        nodeB.claimNext('node-b', created + 5),
      ])
      expect([cancelled, claimed].filter(Boolean), `round ${round}`).to.have.length(1)
      const stored = await nodeA.get(job.job_id)
      expect(stored?.status).to.equal(cancelled ? 'cancelled' : 'running')
    }

    const job = await nodeA.insert(pendingJob('plain'))
    expect(await nodeA.cancelPending(job.job_id, created + 9)).to.include({
      status: 'cancelled',
      error: null,
      completed_us: created + 9,
      updated_us: created + 9,
      current_phase: null,
    })
    expect(await nodeA.cancelPending(job.job_id, created + 10)).to.equal(undefined)
  })

  it('records a cancel asked for a running job, for its node to read', async () => {
    await nodeA.insert(pendingJob('mine'))
    await nodeA.insert(pendingJob('theirs'))
    await nodeA.insert(pendingJob('waiting'))
    await nodeA.claimNext('node-a', created)
    await nodeB.claimNext('node-b', created)
    await nodeB.requestCancel('mine', created + 1)
    await nodeB.requestCancel('mine', created + 2)
    await nodeB.requestCancel('waiting', created + 2)
    expect(await nodeA.cancelRequestedOn('node-a')).to.deep.equal(['mine'])
    expect(await nodeA.cancelRequestedOn('node-b')).to.deep.equal([])
    expect(await nodeA.get('mine')).to.include({cancel_requested_us: created + 1})
    expect(await nodeA.get('waiting')).to.include({cancel_requested_us: null})
  })

  it("fails a node's running jobs only, returning them as they were", async () => {
    for (const id of ['a-1', 'b-1', 'a-2', 'queued']) await nodeA.insert(pendingJob(id))
    await nodeA.claimNext('node-a', created)
    await nodeB.claimNext('node-b', created)
    await nodeA.claimNext('node-a', created)
    await nodeA.update('a-2', {current_phase: 'cloning', phase_detail: '3/9', progress: 40})
    const before = await nodeA.get('a-2')
    const failed = await nodeB.failRunningOn('node-a', 'Job interrupted: node node-a stopped', created + 50)
    expect(failed.map((row) => row.job_id)).to.deep.equal(['a-1', 'a-2'])
    expect(failed[1]).to.deep.equal(before)
    expect(await nodeA.get('a-2')).to.include({
      status: 'failed',
      error: 'Job interrupted: node node-a stopped',
      completed_us: created + 50,
      updated_us: created + 50,
      current_phase: null,
      phase_detail: null,
      progress: 40,
    })
    expect(await nodeA.get('b-1')).to.include({status: 'running'})
    expect(await nodeA.get('queued')).to.include({status: 'pending'})
    expect(await nodeA.failRunningOn('node-a', 'again', created + 60)).to.deep.equal([])
  })

  it('keeps git process groups per node, with their host: added, replaced, removed and cleared', async () => {
    const processesA = new PgProcessStorage(poolA)
    await processesA.add({pgid: 200, node: 'node-a', job_id: 'j1', host: 'h1'})
    await processesA.add({pgid: 100, node: 'node-a', job_id: 'j1'})
    await processesA.add({pgid: 100, node: 'node-b', job_id: 'j2'})
    await processesA.add({pgid: 200, node: 'node-a', job_id: 'j3', host: 'h2'})
    expect(await processesA.of('node-a')).to.deep.equal([
      {pgid: 100, node: 'node-a', job_id: 'j1', host: ''},
      {pgid: 200, node: 'node-a', job_id: 'j3', host: 'h2'},
    ])
    await processesA.remove(100, 'node-a')
    expect(await processesA.of('node-a')).to.deep.equal([{pgid: 200, node: 'node-a', job_id: 'j3', host: 'h2'}])
    await processesA.clear('node-a')
    expect(await processesA.of('node-a')).to.deep.equal([])
    expect(await processesA.of('node-b')).to.deep.equal([{pgid: 100, node: 'node-b', job_id: 'j2', host: ''}])
  })
})
