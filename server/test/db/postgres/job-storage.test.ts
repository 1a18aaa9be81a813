import type pg from 'pg'

import {expect} from 'chai'
import {rmSync} from 'node:fs'

import type {Db} from '../../../src/db/database.js'
import type {JobRow} from '../../../src/jobs/job-row.js'
import type {JobChanges, ListQuery} from '../../../src/jobs/job-store.js'

import {openDatabase} from '../../../src/db/database.js'
import {JOB_MIGRATIONS, PgJobStorage} from '../../../src/db/postgres/job-storage.js'
import {migrate} from '../../../src/db/postgres/migrate.js'
import {JobStore} from '../../../src/jobs/job-store.js'
import {usePostgres} from '../../support/postgres.js'
import {tempRoot} from '../../support/server-fixture.js'
import {variedJobs} from '../../support/varied-jobs.js'

const BASE_US = 1_780_000_000_000_000
const HOUR_US = 3_600_000_000

const pageOf = (page: {rows: JobRow[]; total: number}) => ({
  rows: page.rows.map((row) => row),
  total: page.total,
})

/** Every tally row (zero rows aside) against a COUNT of the jobs themselves. */
async function tallyAndCount(pool: pg.Pool) {
  const tally = await pool.query('SELECT username, status, n FROM job_counts WHERE n <> 0 ORDER BY username, status')
  const counted = await pool.query(
    'SELECT username, status, COUNT(*) AS n FROM jobs GROUP BY username, status ORDER BY username, status',
  )
  return {tally: tally.rows, counted: counted.rows}
}

describe('server: the job storage on PostgreSQL, read as SQLite reads', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  let pgJobs: PgJobStorage
  let root: string
  let db: Db
  let sqliteJobs: JobStore

  before(async () => {
    pool = postgres.pool(4)
    expect(await migrate(pool, JOB_MIGRATIONS)).to.deep.equal([1, 2, 3, 4, 5])
    pgJobs = new PgJobStorage(pool)
  })

  beforeEach(async () => {
    await pool.query('TRUNCATE jobs, job_counts RESTART IDENTITY')
    root = tempRoot('pg-jobs')
    db = openDatabase(root)
    sqliteJobs = new JobStore(db)
  })

  afterEach(() => {
    db.close()
    rmSync(root, {recursive: true, force: true})
  })

  /** The same jobs in both stores, in the same order, so that even `seq` agrees. */
  async function seedBoth(count: number): Promise<void> {
    for (const job of variedJobs(count, BASE_US)) {
      sqliteJobs.insert(job)
      await pgJobs.insert(job)
    }
  }

  it('stores a job as SQLite does: the same columns and defaults, numbers as numbers, params as JSON', async () => {
    const job = {
      job_id: 'j-1',
      operation_type: 'add_golden_repo',
      status: 'pending',
      created_us: BASE_US,
      username: 'admin',
    }
    const row = await pgJobs.insert({...job, repository: 'docs', result: {alias: 'docs'}, params: {url: 'file:///x'}})
    expect(row).to.deep.equal(
      sqliteJobs.insert({...job, repository: 'docs', result: {alias: 'docs'}, params: {url: 'file:///x'}}),
    )
    expect(row).to.include({params: '{"url":"file:///x"}', node: null, active_key: null, cancel_requested_us: null})
    expect(row.created_us).to.be.a('number')
    expect(row.seq).to.be.a('number')
  })

  it('lists the same pages, in the same order, with the same totals as SQLite, for every filter', async () => {
    await seedBoth(120)
    const queries: ListQuery[] = [
      {limit: 10, offset: 0},
      {limit: 7, offset: 5},
      {limit: 50, offset: 100},
      {limit: 10, offset: 0, username: 'bob'},
      {limit: 10, offset: 0, status: 'failed'},
      {limit: 10, offset: 3, username: 'carol', status: 'completed'},
      {limit: 10, offset: 0, operationType: 'sync_repository'},
      {limit: 10, offset: 0, repository: 'repo-1', username: 'alice'},
      {limit: 10, offset: 0, sinceUs: BASE_US + 5 * HOUR_US, untilUs: BASE_US + 9 * HOUR_US},
      {limit: 10, offset: 0, viewer: 'alice'},
      {limit: 10, offset: 0, viewer: 'alice', status: 'running'},
      {limit: 10, offset: 0, viewer: 'alice', username: 'alice'},
      {limit: 10, offset: 0, viewer: 'alice', username: 'bob'},
      {limit: 10, offset: 0, username: 'nobody'},
    ]
    for (const query of queries) {
      expect(pageOf(await pgJobs.list(query)), JSON.stringify(query)).to.deep.equal(pageOf(sqliteJobs.list(query)))
    }
  })

  it('lists newest first, ties broken by the later insert; a viewer sees only their own jobs', async () => {
    await seedBoth(120)
    const first = await pgJobs.list({limit: 4, offset: 0})
    // Jobs 118 and 119 share the newest creation time: the later insert comes first.
    expect(first.rows.map((row) => row.job_id)).to.deep.equal(['job-0119', 'job-0118', 'job-0117', 'job-0116'])
    expect(first.total).to.equal(120)
    const own = await pgJobs.list({limit: 200, offset: 0, viewer: 'bob'})
    expect(own.rows).to.have.length(own.total).and.to.have.length.above(0)
    expect(new Set(own.rows.map((row) => row.username))).to.deep.equal(new Set(['bob']))
    expect(await pgJobs.list({limit: 10, offset: 0, viewer: 'bob', username: 'alice'})).to.deep.equal({
      rows: [],
      total: 0,
    })
  })

  it('reads the list page straight off an index, without sorting, for each tallied filter', async () => {
    await seedBoth(60)
    await pool.query('ANALYZE jobs')
    const plans: string[] = []
    for (const where of [
      '',
      "WHERE username = 'bob'",
      "WHERE status = 'failed'",
      "WHERE username = 'bob' AND status = 'failed'",
    ]) {
      const client = await pool.connect()
      try {
        // On a small table a scan and a sort are cheaper; made dear, a Sort is left only if no index gives the order.
        await client.query('BEGIN')
        await client.query('SET LOCAL enable_seqscan = off')
        await client.query('SET LOCAL enable_bitmapscan = off')
        await client.query('SET LOCAL enable_sort = off')
        const plan = await client.query(
          `EXPLAIN SELECT * FROM jobs ${where} ORDER BY created_us DESC, seq DESC LIMIT 50`,
        )
        plans.push(plan.rows.map((row: {'QUERY PLAN': string}) => row['QUERY PLAN']).join('\n'))
      } finally {
        await client.query('ROLLBACK')
        client.release()
      }
    }

    for (const plan of plans) {
      expect(plan, plan).to.match(/Index Scan Backward/)
      expect(plan).not.to.match(/Sort/)
    }
  })

  it('keeps the tally equal to a COUNT of the jobs through inserts, updates and deletes', async () => {
    await seedBoth(60)
    await pool.query(`INSERT INTO jobs (job_id, operation_type, status, created_us, updated_us, username)
      SELECT 'bulk-' || n, 'sync_repository', CASE WHEN n % 2 = 0 THEN 'pending' ELSE 'failed' END, n, n, 'dave'
        FROM generate_series(1, 500) AS n`)
    await pool.query("UPDATE jobs SET status = 'running' WHERE status = 'pending' AND job_id LIKE 'bulk-%'")
    await pool.query("UPDATE jobs SET username = 'erin' WHERE username = 'alice'")
    await pool.query('UPDATE jobs SET progress = progress + 1')
    await pgJobs.update('job-0002', {status: 'cancelled'})
    await pool.query("DELETE FROM jobs WHERE status = 'completed' OR job_id LIKE 'bulk-1%'")
    const {tally, counted} = await tallyAndCount(pool)
    expect(tally).to.deep.equal(counted)
    expect(tally).to.deep.include({username: 'dave', status: 'running', n: 195})
    expect(await pgJobs.countFromTally()).to.equal(
      Number((await pool.query('SELECT COUNT(*) AS n FROM jobs')).rows[0].n),
    )
    expect(await pgJobs.countFromTally('dave', 'failed')).to.equal(
      counted.find((row) => row.username === 'dave' && row.status === 'failed')?.n,
    )
  })

  it('answers the other reads as SQLite does', async () => {
    await seedBoth(90)
    const cutoff = BASE_US + 20 * HOUR_US
    expect(await pgJobs.countsByStatus()).to.deep.equal(sqliteJobs.countsByStatus())
    expect(await pgJobs.countsByType()).to.deep.equal(sqliteJobs.countsByType())
    expect(Object.keys(await pgJobs.countsByType())).to.deep.equal([
      'activate_repository',
      'add_golden_repo',
      'refresh_golden_repo',
      'sync_repository',
    ])
    expect(await pgJobs.countFromTally('bob')).to.equal(sqliteJobs.countFromTally('bob'))
    expect(await pgJobs.failedSince(cutoff)).to.equal(sqliteJobs.failedSince(cutoff))
    expect(await pgJobs.findActive('add_golden_repo', 'repo-1')).to.deep.equal(
      sqliteJobs.findActive('add_golden_repo', 'repo-1'),
    )
    expect(await pgJobs.findActive('sync_repository', 'repo-2', 'nobody')).to.equal(undefined)
    expect((await pgJobs.finishedBefore(cutoff, 1000)).map((row) => row)).to.have.deep.members(
      sqliteJobs.finishedBefore(cutoff, 1000),
    )
    expect(await pgJobs.finishedBefore(cutoff, 3)).to.have.length(3)
    expect(await pgJobs.finishedBeforeByStatus(cutoff)).to.deep.equal(sqliteJobs.finishedBeforeByStatus(cutoff))
    expect(await pgJobs.oldestPending()).to.deep.equal(sqliteJobs.oldestPending())
    expect((await pgJobs.runningSilentSince(cutoff)).map((row) => row)).to.deep.equal(
      sqliteJobs.runningSilentSince(cutoff),
    )
    expect(await pgJobs.get('job-0042')).to.deep.equal(sqliteJobs.get('job-0042'))
    expect(await pgJobs.get('missing')).to.equal(undefined)
  })

  it('updates only the known columns, as SQLite does, and answers undefined for a missing job', async () => {
    await seedBoth(4)
    // `sneaky` is no column: both stores leave it out of the UPDATE instead of failing.
    const changes = {progress: 55, current_phase: 'cloning', result: {alias: 'x', files: 3}, sneaky: 1} as JobChanges
    const updated = await pgJobs.update('job-0003', changes)
    expect(updated).to.deep.equal(sqliteJobs.update('job-0003', changes))
    expect(updated).to.include({progress: 55, result: '{"alias":"x","files":3}'}).and.not.have.property('sneaky')
    expect(await pgJobs.update('job-0003', {})).to.deep.equal(sqliteJobs.get('job-0003'))
    expect(await pgJobs.update('missing', {progress: 1})).to.equal(undefined)
  })

  it('fails every pending and running job at a restart, returning them as they were', async () => {
    await seedBoth(24)
    const before = (await pool.query("SELECT * FROM jobs WHERE status IN ('pending', 'running') ORDER BY seq")).rows
    const orphans = await pgJobs.orphanActive('Job interrupted by a server restart')
    expect(orphans).to.deep.equal(before)
    expect(orphans.map((row) => row.job_id)).to.have.members(
      sqliteJobs.orphanActive('Job interrupted by a server restart').map((row) => row.job_id),
    )
    const after = await pgJobs.get(orphans[0].job_id)
    expect(after).to.include({status: 'failed', error: 'Job interrupted by a server restart', current_phase: null})
    expect(after?.completed_us).to.equal(after?.updated_us).and.to.be.a('number')
    expect(await pgJobs.countsByStatus()).to.deep.equal(sqliteJobs.countsByStatus())
  })
})
