import type pg from 'pg'

import {expect} from 'chai'
import {readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import type {Db} from '../../../src/db/database.js'
import type {WindowFigures, WindowQuery} from '../../../src/jobs/stats/window-figures.js'

import {openDatabase} from '../../../src/db/database.js'
import {PgHistoryStorage} from '../../../src/db/postgres/history-storage.js'
import {JOB_MIGRATIONS, PgJobStorage} from '../../../src/db/postgres/job-storage.js'
import {migrate} from '../../../src/db/postgres/migrate.js'
import {toWireJob} from '../../../src/jobs/job-row.js'
import {JobStore} from '../../../src/jobs/job-store.js'
import {figuresFromRows} from '../../../src/jobs/stats/window-figures.js'
import {archivedLines} from '../../support/archive-files.js'
import {usePostgres} from '../../support/postgres.js'
import {tempRoot} from '../../support/server-fixture.js'
import {variedJobs} from '../../support/varied-jobs.js'

const BASE_US = 1_780_000_000_000_000
const HOUR_US = 3_600_000_000
const DAY_MS = 24 * 3_600_000

/** Finished jobs of before BASE_US, in the order SQLite's archive test seeds them. */
async function seedFinished(jobs: PgJobStorage, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let at = 0; at < count; at++) {
    const id = `job-${String(at).padStart(6, '0')}`
    ids.push(id)
    await jobs.insert({
      job_id: id,
      operation_type: 'sync_repository',
      status: at % 3 === 0 ? 'failed' : 'completed',
      created_us: BASE_US - 1000,
      completed_us: BASE_US,
      username: 'alice',
    })
  }

  return ids
}

/** The finished jobs the sweeps take: all those seeded. */
const oldJobs = (jobs: PgJobStorage) => (limit: number) => jobs.finishedBefore(BASE_US + 1, limit)

/** Rows as sortable texts, their keys in one order. */
const texts = (list: object[]) => list.map((row) => JSON.stringify(Object.entries(row).sort())).sort()

/** SQLite's figures come in scan order, which no reader relies on: compared as sorted lists. */
function sorted(figures: WindowFigures): Record<string, string[]> {
  return {
    tallies: texts(figures.tallies),
    durations: texts(figures.durations),
    waits: texts(figures.waits),
    errors: texts(figures.errors),
  }
}

describe('server: the job history on PostgreSQL (archive sweep and stats figures)', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  let jobs: PgJobStorage
  let root: string
  let history: PgHistoryStorage

  before(async () => {
    pool = postgres.pool(4)
    await migrate(pool, JOB_MIGRATIONS)
    jobs = new PgJobStorage(pool)
  })

  beforeEach(async () => {
    await pool.query('TRUNCATE jobs, job_counts, job_archive_intent RESTART IDENTITY')
    root = tempRoot('pg-history')
    history = new PgHistoryStorage(pool, join(root, 'archive'))
  })

  afterEach(() => {
    rmSync(root, {recursive: true, force: true})
  })

  describe('window figures', () => {
    let db: Db
    let sqliteJobs: JobStore

    beforeEach(async () => {
      db = openDatabase(root)
      sqliteJobs = new JobStore(db)
      // The same jobs in both, in the same order, so that even the newest failure's seq agrees.
      for (const job of variedJobs(240, BASE_US)) {
        sqliteJobs.insert(job)
        await jobs.insert(job)
      }
    })

    afterEach(() => db.close())

    const queries: Array<[string, WindowQuery]> = [
      [
        'every job, hourly',
        {selection: {}, sinceUs: BASE_US, untilUs: BASE_US + 50 * HOUR_US, slots: {offset: 0, size: 3_600_000}},
      ],
      [
        'part of the window, weekly slots from a Monday',
        {
          selection: {},
          sinceUs: BASE_US + 3 * HOUR_US + 17,
          untilUs: BASE_US + 29 * HOUR_US,
          slots: {offset: 4 * DAY_MS, size: 7 * DAY_MS},
        },
      ],
      [
        'one owner',
        {
          selection: {owner: 'bob'},
          sinceUs: BASE_US,
          untilUs: BASE_US + 50 * HOUR_US,
          slots: {offset: 0, size: DAY_MS},
        },
      ],
      [
        'one type on one repository',
        {
          selection: {operationType: 'refresh_golden_repo', repository: 'repo-1'},
          sinceUs: BASE_US,
          untilUs: BASE_US + 50 * HOUR_US,
          slots: {offset: 0, size: 3_600_000},
        },
      ],
      ['an empty window', {selection: {}, sinceUs: 0, untilUs: 1000, slots: {offset: 0, size: DAY_MS}}],
    ]
    for (const [name, query] of queries) {
      it(`equal SQLite's figures from the same rows: ${name}`, async () => {
        const expected = figuresFromRows(db, query)
        const actual = await history.windowFigures(query)
        expect(sorted(actual)).to.deep.equal(sorted(expected))
        if (name !== 'an empty window') expect(expected.tallies).to.have.length.above(0)
      })
    }

    it('names failures by the error column, else the error or message of a failed result, else none', async () => {
      const query = {selection: {}, sinceUs: BASE_US, untilUs: BASE_US + 50 * HOUR_US, slots: {offset: 0, size: DAY_MS}}
      const errors = (await history.windowFigures(query)).errors.map((error) => error.error)
      expect(errors).to.include.members(['clone of repo-0 failed', 'fetch timed out', 'disk full', null])
      expect(errors).not.to.include('not a failure text')
      expect(errors).not.to.include('  ')
    })
  })

  describe('the archive sweep', () => {
    it('writes the month file SQLite writes, with the whole job of every job it deletes', async () => {
      const ids = await seedFinished(jobs, 1200)
      const wire = toWireJob((await jobs.get('job-000000'))!, true)
      const removed = await history.sweep(oldJobs(jobs), () => new Date('2026-12-01T10:00:00Z'))
      expect(removed).to.equal(1200)
      expect(readdirSync(join(root, 'archive'))).to.deep.equal(['jobs-2026-12.ndjson.gz'])
      const lines = archivedLines(join(root, 'archive'))
      expect(lines.map((line) => line.job_id).sort()).to.deep.equal(ids)
      expect(lines.find((line) => line.job_id === 'job-000000')).to.deep.equal(wire)
      expect(await jobs.countFromTally()).to.equal(0)
      expect((await pool.query('SELECT COUNT(*) AS n FROM jobs')).rows[0]).to.deep.equal({n: 0})
      expect((await pool.query('SELECT * FROM job_archive_intent')).rows).to.deep.equal([])
    })

    it('neither loses nor repeats a job when a batch is archived but its delete does not commit', async () => {
      const ids = await seedFinished(jobs, 700)
      // The database refuses the batch's DELETE, as if the node died right before it committed.
      await pool.query(`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'killed'; END $$`)
      await pool.query(
        'CREATE TRIGGER refuse_delete BEFORE DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_delete()',
      )
      try {
        const died = await history.sweep(oldJobs(jobs)).catch((error: unknown) => error)
        expect(died).to.be.instanceOf(Error).with.property('message', 'killed')
      } finally {
        await pool.query('DROP TRIGGER refuse_delete ON jobs; DROP FUNCTION refuse_delete()')
      }

      expect(archivedLines(join(root, 'archive'))).to.have.length(500) // on disk, its jobs still stored
      expect((await pool.query('SELECT size FROM job_archive_intent')).rows).to.deep.equal([{size: 0}])
      expect(await history.sweep(oldJobs(jobs))).to.equal(700)
      expect(
        archivedLines(join(root, 'archive'))
          .map((line) => line.job_id)
          .sort(),
      ).to.deep.equal(ids)
    })

    it('lets two nodes sweep at once: every job archived once', async () => {
      const ids = await seedFinished(jobs, 1100)
      const other = new PgHistoryStorage(postgres.pool(3), join(root, 'archive'))
      const counts = await Promise.all([history.sweep(oldJobs(jobs)), other.sweep(oldJobs(jobs))])
      expect(counts[0] + counts[1]).to.equal(1100)
      expect(
        archivedLines(join(root, 'archive'))
          .map((line) => line.job_id)
          .sort(),
      ).to.deep.equal(ids)
    })
  })
})
