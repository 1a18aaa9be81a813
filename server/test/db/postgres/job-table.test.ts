import type pg from 'pg'

import {expect} from 'chai'

import {
  ActiveJobConflictError,
  claimNextJob,
  insertJob,
  JOB_TABLE_MIGRATIONS,
  type NewClusterJob,
} from '../../../src/db/postgres/job-table.js'
import {migrate} from '../../../src/db/postgres/migrate.js'
import {usePostgres} from '../../support/postgres.js'

let created = 1_780_000_000_000_000

function pendingJob(jobId: string, fields: Partial<NewClusterJob> = {}): NewClusterJob {
  created += 1
  return {
    job_id: jobId,
    operation_type: 'add_golden_repo',
    status: 'pending',
    created_us: created,
    username: 'admin',
    ...fields,
  }
}

async function statusOf(pool: pg.Pool, jobId: string): Promise<{node: null | string; status: string}> {
  const found = await pool.query('SELECT status, node FROM jobs WHERE job_id = $1', [jobId])
  return found.rows[0] as {node: null | string; status: string}
}

describe('server: the jobs table on PostgreSQL', () => {
  const postgres = usePostgres()
  let nodeA: pg.Pool
  let nodeB: pg.Pool

  before(async () => {
    nodeA = postgres.pool(4)
    nodeB = postgres.pool(4)
    await migrate(nodeA, JOB_TABLE_MIGRATIONS)
  })

  beforeEach(async () => {
    await nodeA.query('TRUNCATE jobs')
  })

  it('stores a job as SQLite does: the same columns and defaults, timestamps as numbers', async () => {
    const row = await insertJob(nodeA, pendingJob('j-1', {repository: 'docs', result: {alias: 'docs'}}))
    expect(row).to.include({
      job_id: 'j-1',
      status: 'pending',
      progress: 0,
      updated_us: row.created_us,
      result: '{"alias":"docs"}',
      repository: 'docs',
      started_us: null,
      node: null,
      active_key: null,
    })
    expect(row.created_us).to.be.a('number')
    expect(row.seq).to.be.a('number')
  })

  it('claims the oldest pending job, marked running by its node, and nothing once none is pending', async () => {
    await insertJob(nodeA, pendingJob('older'))
    await insertJob(nodeA, pendingJob('newer'))
    const first = await claimNextJob(nodeA, 'node-a', created + 10)
    expect(first).to.include({
      job_id: 'older',
      status: 'running',
      node: 'node-a',
      progress: 10,
      started_us: created + 10,
    })
    expect((await claimNextJob(nodeB, 'node-b', created + 11))?.job_id).to.equal('newer')
    expect(await claimNextJob(nodeA, 'node-a', created + 12)).to.equal(undefined)
  })

  it('a job one node is claiming is skipped by another, which neither waits nor takes it', async () => {
    await insertJob(nodeA, pendingJob('only'))
    const holder = await nodeA.connect()
    try {
      await holder.query('BEGIN')
      expect((await claimNextJob(holder, 'node-a', created + 1))?.job_id).to.equal('only')
      // Node A has not committed: the row is locked, node B passes over it at once.
      expect(await claimNextJob(nodeB, 'node-b', created + 2)).to.equal(undefined)
      await holder.query('COMMIT')
    } finally {
      holder.release()
    }

    expect(await statusOf(nodeB, 'only')).to.deep.equal({status: 'running', node: 'node-a'})
  })

  it('runs each of 40 jobs exactly once when four claimers race for them', async () => {
    for (let at = 0; at < 40; at++) await insertJob(nodeA, pendingJob(`race-${at}`))
    const claimers = [postgres.pool(3), postgres.pool(3), nodeA, nodeB]
    const claimsOf = async (pool: pg.Pool, node: string) => {
      const claimed: string[] = []
      const claimOne = async (): Promise<void> => {
        const job = await claimNextJob(pool, node, created)
        if (job === undefined) return
        claimed.push(job.job_id)
        return claimOne()
      }

      await Promise.all([claimOne(), claimOne(), claimOne()])
      return claimed
    }

    const claims = await Promise.all(claimers.map((pool, at) => claimsOf(pool, `node-${at}`)))
    const all = claims.flat()
    expect(all).to.have.length(40)
    expect(new Set(all).size).to.equal(40)
    const running = await nodeA.query("SELECT count(*)::int AS n FROM jobs WHERE status = 'running'")
    expect(running.rows[0]).to.deep.equal({n: 40})
  })

  it('refuses a second pending or running job with the same active key, from any node, until the first ends', async () => {
    const key = 'add_golden_repo:docs'
    await insertJob(nodeA, pendingJob('first', {active_key: key}))
    const refused = await insertJob(nodeB, pendingJob('second', {active_key: key})).then(
      () => 'inserted',
      (error: unknown) => error,
    )
    expect(refused).to.be.instanceOf(ActiveJobConflictError).and.include({activeKey: key})
    await claimNextJob(nodeA, 'node-a', created)
    const whileRunning = await insertJob(nodeB, pendingJob('third', {active_key: key})).catch((error: unknown) => error)
    expect(whileRunning).to.be.instanceOf(ActiveJobConflictError)

    await nodeA.query("UPDATE jobs SET status = 'completed' WHERE job_id = 'first'")
    expect((await insertJob(nodeB, pendingJob('after', {active_key: key}))).job_id).to.equal('after')
    await insertJob(nodeA, pendingJob('keyless-1'))
    await insertJob(nodeA, pendingJob('keyless-2'))
  })

  it('lets exactly one of two nodes inserting the same active key at the same moment succeed', async () => {
    const key = 'activate_repository:docs:alice'
    const outcomes = await Promise.allSettled([
      insertJob(nodeA, pendingJob('from-a', {active_key: key})),
      insertJob(nodeB, pendingJob('from-b', {active_key: key})),
    ])
    expect(outcomes.map((outcome) => outcome.status).sort()).to.deep.equal(['fulfilled', 'rejected'])
    const rejected = outcomes.find((outcome) => outcome.status === 'rejected')
    expect(rejected?.reason).to.be.instanceOf(ActiveJobConflictError)
    const stored = await nodeA.query('SELECT count(*)::int AS n FROM jobs WHERE active_key = $1', [key])
    expect(stored.rows[0]).to.deep.equal({n: 1})
  })

  it('passes other errors through: a duplicate job id is not a conflict of active keys', async () => {
    await insertJob(nodeA, pendingJob('same', {active_key: 'k1'}))
    const duplicate = await insertJob(nodeA, pendingJob('same', {active_key: 'k2'})).catch((error: unknown) => error)
    expect(duplicate).not.to.be.instanceOf(ActiveJobConflictError)
    expect((duplicate as {constraint?: string}).constraint).to.equal('jobs_job_id_key')
  })
})
