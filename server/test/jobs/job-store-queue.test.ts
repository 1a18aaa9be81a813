import Database from 'better-sqlite3'
import {expect} from 'chai'
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {type Db, openDatabase} from '../../src/db/database.js'
import {ActiveJobConflictError} from '../../src/db/storage.js'
import {JobStore} from '../../src/jobs/job-store.js'
import {tempRoot} from '../support/server-fixture.js'

const BASE_US = 1_780_000_000_000_000

/** The jobs table on SQLite as the queue the engine claims from: the same rules as on PostgreSQL. */
describe('server: the SQLite job store as a queue', () => {
  let root: string
  let db: Db
  let jobs: JobStore

  beforeEach(() => {
    root = tempRoot('sqlite-queue')
    db = openDatabase(root)
    jobs = new JobStore(db)
  })

  afterEach(() => {
    db.close()
    rmSync(root, {recursive: true, force: true})
  })

  const pending = (id: string, at: number, fields: Record<string, unknown> = {}) =>
    jobs.insert({
      job_id: id,
      operation_type: 'sync_repository',
      status: 'pending',
      created_us: BASE_US + at,
      username: 'alice',
      ...fields,
    })

  it('claims the oldest pending job that has params, for the node, and passes over seeded rows without them', () => {
    pending('seeded', 0)
    pending('second', 2, {params: {userAlias: 'b'}})
    pending('first', 1, {params: {userAlias: 'a'}})
    const claimed = jobs.claimNext('node-a', BASE_US + 10)
    expect(claimed).to.include({job_id: 'first', status: 'running', node: 'node-a', progress: 10})
    expect(claimed).to.include({started_us: BASE_US + 10, updated_us: BASE_US + 10, params: '{"userAlias":"a"}'})
    expect(jobs.claimNext('node-a', BASE_US + 11)).to.include({job_id: 'second'})
    expect(jobs.claimNext('node-a', BASE_US + 12)).to.equal(undefined)
    expect(jobs.get('seeded')).to.include({status: 'pending', node: null})
  })

  it('cancels a pending job only while it is pending: a claimed one is left to its node', () => {
    pending('a', 0, {params: {}})
    pending('b', 1, {params: {}})
    expect(jobs.cancelPending('a', BASE_US + 5)).to.include({status: 'cancelled', completed_us: BASE_US + 5})
    expect(jobs.claimNext('node-a', BASE_US + 6)).to.include({job_id: 'b'})
    expect(jobs.cancelPending('b', BASE_US + 7)).to.equal(undefined)
    expect(jobs.get('b')).to.include({status: 'running'})
  })

  it('keeps one pending or running job per active key, names the holder, and frees the key when it ends', () => {
    pending('holder', 0, {active_key: 'sync_repository:alice:docs', params: {}})
    let refusal: unknown
    try {
      pending('second', 1, {active_key: 'sync_repository:alice:docs', params: {}})
    } catch (error) {
      refusal = error
    }

    expect(refusal).to.be.instanceOf(ActiveJobConflictError)
    expect((refusal as ActiveJobConflictError).holder).to.include({job_id: 'holder'})
    expect(jobs.get('second')).to.equal(undefined)
    pending('other-repo', 2, {active_key: 'sync_repository:alice:api', params: {}})
    jobs.update('holder', {status: 'completed', completed_us: BASE_US + 3})
    expect(pending('third', 4, {active_key: 'sync_repository:alice:docs'})).to.include({job_id: 'third'})
  })

  it('passes other errors through: a duplicate job id is not a conflict of active keys', () => {
    pending('same', 0, {active_key: 'k1'})
    expect(() => pending('same', 1, {active_key: 'k2'})).to.throw(/UNIQUE constraint failed: jobs\.job_id/)
  })

  it('fails the running jobs of one node only, and reads the cancels asked for on its jobs', () => {
    for (const [id, node] of [
      ['on-a', 'node-a'],
      ['on-b', 'node-b'],
    ] as const) {
      pending(id, 0, {params: {}})
      jobs.update(id, {status: 'running', node})
    }

    jobs.requestCancel('on-a', BASE_US + 1)
    jobs.requestCancel('on-b', BASE_US + 1)
    expect(jobs.cancelRequestedOn('node-a')).to.deep.equal(['on-a'])
    const failed = jobs.failRunningOn('node-b', 'Job interrupted: node node-b stopped', BASE_US + 2)
    expect(failed.map((row) => [row.job_id, row.status])).to.deep.equal([['on-b', 'running']])
    expect(jobs.get('on-b')).to.include({status: 'failed', error: 'Job interrupted: node node-b stopped'})
    expect(jobs.get('on-a')).to.include({status: 'running'})
  })

  it('adds the queue columns to a database made before them, keeping its jobs', () => {
    db.close()
    const old = join(root, 'old')
    mkdirSync(old)
    const oldDb = new Database(join(old, 'server.sqlite'))
    oldDb.exec(`CREATE TABLE jobs (seq INTEGER PRIMARY KEY, job_id TEXT NOT NULL UNIQUE, operation_type TEXT NOT NULL,
      status TEXT NOT NULL, created_us INTEGER NOT NULL, started_us INTEGER, completed_us INTEGER,
      updated_us INTEGER NOT NULL, progress INTEGER NOT NULL DEFAULT 0, result TEXT, error TEXT,
      username TEXT NOT NULL, current_phase TEXT, phase_detail TEXT, repository TEXT);
      INSERT INTO jobs (job_id, operation_type, status, created_us, updated_us, username)
        VALUES ('kept', 'sync_repository', 'completed', 1, 1, 'alice');`)
    oldDb.close()
    db = openDatabase(old)
    jobs = new JobStore(db)
    expect(jobs.get('kept')).to.include({status: 'completed', params: null, active_key: null, node: null})
    pending('new', 1, {active_key: 'k', params: {}})
    expect(() => pending('refused', 2, {active_key: 'k'})).to.throw(ActiveJobConflictError)
  })
})
