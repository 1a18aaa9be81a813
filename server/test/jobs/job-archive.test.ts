import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import type {Db} from '../../src/db/database.js'

import {openDatabase} from '../../src/db/database.js'
import {archiveFileName, JobArchive} from '../../src/jobs/job-archive.js'
import {JobStore} from '../../src/jobs/job-store.js'
import {nowMicros} from '../../src/time.js'
import {Api, waitFor} from '../support/api.js'
import {archivedIds} from '../support/archive-files.js'
import {type ChildServer, startChildServer} from '../support/child-server.js'
import {ADMIN_PASSWORD, startTestServer, tempRoot} from '../support/server-fixture.js'

const DAY_US = 24 * 3600 * 1_000_000

function seedFinished(store: JobStore, count: number, ageDays = 60): string[] {
  const endedUs = nowMicros() - ageDays * DAY_US
  return Array.from({length: count}, (_, index) => {
    const id = `job-${String(index).padStart(6, '0')}`
    store.insert({
      job_id: id,
      operation_type: 'sync_repository',
      status: index % 3 === 0 ? 'failed' : 'completed',
      created_us: endedUs - 1000,
      completed_us: endedUs,
      username: 'alice',
    })
    return id
  })
}

function killedTransaction(): () => never {
  return () => {
    throw new Error('killed')
  }
}

describe('server: the job archive', () => {
  let root: string
  let db: Db | undefined

  beforeEach(() => {
    root = tempRoot('archive')
  })

  afterEach(() => {
    db?.close()
    db = undefined
    rmSync(root, {recursive: true, force: true})
  })

  it('writes one gzip NDJSON file a month, with the whole job of every job it deletes', () => {
    db = openDatabase(root)
    const store = new JobStore(db)
    const ids = seedFinished(store, 1200)
    const dir = join(root, 'archive')
    const cutoff = nowMicros() - DAY_US
    const removed = new JobArchive(db, dir).sweep(
      (limit) => store.finishedBefore(cutoff, limit),
      () => new Date('2026-12-01T10:00:00Z'),
    )
    expect(removed).to.equal(1200)
    expect(readdirSync(dir)).to.deep.equal(['jobs-2026-12.ndjson.gz'])
    expect(archivedIds(dir).sort()).to.deep.equal(ids)
    const lines = gunzipSync(readFileSync(join(dir, 'jobs-2026-12.ndjson.gz')))
      .toString()
      .split('\n')
    const job = JSON.parse(lines.find((line) => line.includes('"job-000000"')) ?? 'null')
    expect(job).to.include({
      job_id: 'job-000000',
      status: 'failed',
      username: 'alice',
      operation_type: 'sync_repository',
    })
    expect(store.finishedBefore(cutoff, 10)).to.deep.equal([])
    expect(archiveFileName(new Date('2027-01-31T23:59:59Z'))).to.equal('jobs-2027-01.ndjson.gz')
  })

  it('neither loses nor repeats a job when the process dies between the archive write and the delete', () => {
    db = openDatabase(root)
    const store = new JobStore(db)
    const ids = seedFinished(store, 700)
    const dir = join(root, 'archive')
    const cutoff = nowMicros() - DAY_US
    const select = (limit: number) => store.finishedBefore(cutoff, limit)
    // Its delete transactions never commit, as if the process were killed right before the first.
    const dying = new Proxy(db, {
      get(target, key) {
        if (key === 'transaction') return killedTransaction
        const value = Reflect.get(target, key) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    expect(() => new JobArchive(dying, dir).sweep(select)).to.throw('killed')
    expect(archivedIds(dir)).to.have.length(500) // the batch is on disk, its jobs still stored
    expect(new JobArchive(db, dir).sweep(select)).to.equal(700)
    expect(archivedIds(dir).sort()).to.deep.equal(ids)
  })

  describe('in a server killed mid-sweep', () => {
    let child: ChildServer | undefined

    afterEach(async () => {
      child?.child.kill('SIGKILL')
      await child?.exited
      child = undefined
    })

    it('holds exactly the removed jobs once the next sweep has run', async function () {
      // 100 k jobs stored and swept twice, each write also keeping the per-hour stats aggregates.
      this.timeout(60_000)
      const dataDir = join(root, 'data')
      const seeded = await startTestServer({dataDir}, root)
      const total = 100_000
      await seeded.server.close()
      const seeding = openDatabase(dataDir)
      const ids = seeding.transaction(() => seedFinished(new JobStore(seeding), total))()
      seeding.close()

      child = await startChildServer(['--data-dir', dataDir], {CIDX_ADMIN_PASSWORD: ADMIN_PASSWORD})
      const api = new Api(child.url)
      const token = await api.login('admin', ADMIN_PASSWORD)
      const archive = join(dataDir, 'archive', archiveFileName(new Date()))
      void api.delete('/api/admin/jobs/cleanup', token).catch(() => {})
      await waitFor(
        'a few archived batches',
        async () => (existsSync(archive) && statSync(archive).size > 100_000 ? true : undefined),
        15_000,
        1,
      )
      child.child.kill('SIGKILL')
      await child.exited
      child = undefined

      const restarted = await startTestServer({dataDir}, root)
      try {
        const second = await restarted.api.delete('/api/admin/jobs/cleanup', restarted.adminToken)
        const cleaned = (second.body as {cleaned_count: number}).cleaned_count
        expect(cleaned, `the kill came mid-sweep (${cleaned} left)`).to.be.greaterThan(0).and.lessThan(total)
        expect(archivedIds(join(dataDir, 'archive')))
          .to.have.members(ids)
          .and.have.length(total)
      } finally {
        await restarted.server.close()
      }
    })
  })
})
