import {expect} from 'chai'
import {rmSync} from 'node:fs'
import {join} from 'node:path'

import type {Db} from '../../src/db/database.js'

import {openDatabase} from '../../src/db/database.js'
import {HOUR_US} from '../../src/db/job-hour-stats.js'
import {JobArchive} from '../../src/jobs/job-archive.js'
import {type JobChanges, JobStore} from '../../src/jobs/job-store.js'
import {queryJobStats, type StatsFilter} from '../../src/jobs/stats/job-stats-query.js'
import {figuresFromRows} from '../../src/jobs/stats/window-figures.js'
import {tempRoot} from '../support/server-fixture.js'

const MS_US = 1000
const DAY_US = 24 * HOUR_US
/** The end of the stored history: jobs were created in the 3 days before it. */
const END_US = Date.UTC(2026, 10, 30, 12) * MS_US

const USERS = ['alice', 'bob', 'carol']
const REPOSITORIES = ['repo-a', 'repo-b', null]
const TYPES = ['sync_repository', 'add_golden_repo', 'activate_repository']
const ERRORS = [
  'Clone of /srv/repos/a1 failed: exit 128',
  'Clone of /srv/repos/b2/x failed: exit 1',
  'timed out after 30 s',
  null,
  '   ',
]

/** The hour of two failures created in the same µs. */
const TWIN_HOUR = {sinceUs: END_US - 7 * HOUR_US, untilUs: END_US - 6 * HOUR_US - 1}

/** A small deterministic PRNG (Park and Miller's minimal standard), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 48_271) % 2_147_483_647
    return state / 2_147_483_647
  }
}

/** Windows with whole hours, part-hours at both edges, none whole, exactly one hour, and weeks. */
const WINDOWS: ReadonlyArray<readonly [number, number]> = [
  [END_US - 3 * DAY_US, END_US],
  [END_US - 3 * DAY_US + 17 * 60_000 * MS_US + 123, END_US - 41 * 60_000 * MS_US + 7],
  [END_US - 5 * HOUR_US + 600_000_123, END_US - 5 * HOUR_US + 3_000_000_000],
  [END_US - 5 * HOUR_US, END_US - 4 * HOUR_US - 1],
  [END_US - 5 * HOUR_US, END_US - 4 * HOUR_US],
  [END_US - 30 * HOUR_US - 1, END_US - 2 * HOUR_US + 1],
  [END_US - 100 * DAY_US, END_US + DAY_US],
]

const FILTERS: ReadonlyArray<Omit<StatsFilter, 'sinceUs' | 'untilUs'>> = [
  {},
  {viewer: 'alice'},
  {username: 'bob'},
  {operationType: 'add_golden_repo'},
  {repository: 'repo-a'},
  {viewer: 'carol', repository: 'repo-b', operationType: 'sync_repository'},
  {viewer: 'alice', username: 'bob'},
]

/** Every window and filter: the figures from the aggregates equal those from reading every row. */
function expectFiguresOfRows(db: Db): number {
  let counted = 0
  for (const [sinceUs, untilUs] of WINDOWS) {
    for (const filter of FILTERS) {
      const query = {...filter, sinceUs, untilUs}
      const fromRows = queryJobStats(db, query, figuresFromRows)
      expect(queryJobStats(db, query), JSON.stringify(query)).to.deep.equal(fromRows)
      counted += fromRows.sample
    }
  }

  return counted
}

/** Jobs of three users over three days: some at hour boundaries, some sharing a creation time. */
function seedJobs(store: JobStore, count: number, next: () => number): string[] {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]
  const ids: string[] = []
  for (let n = 0; n < count; n++) {
    const hour = END_US - Math.ceil(next() * 72) * HOUR_US
    const createdUs = n % 10 === 0 ? hour : n % 10 === 1 ? hour - 1 : hour + Math.floor(next() * HOUR_US)
    const status = pick(['pending', 'running', 'completed', 'failed', 'failed', 'cancelled', 'completed_partial'])
    const startedUs = status === 'pending' ? null : createdUs + Math.floor(next() * 5000 * MS_US)
    const endedUs = startedUs === null || status === 'running' ? null : startedUs + Math.floor(next() * 60_000 * MS_US)
    const id = `job-${n}`
    store.insert({
      job_id: id,
      username: pick(USERS),
      repository: pick(REPOSITORIES),
      operation_type: pick(TYPES),
      status,
      created_us: createdUs,
      started_us: startedUs,
      // A few ended "before" they started: no duration, as the CLI reads them.
      completed_us: endedUs === null ? null : n % 13 === 0 ? endedUs - 70_000 * MS_US : endedUs,
      error: status === 'failed' ? pick(ERRORS) : null,
      result: status === 'failed' && n % 4 === 0 ? {success: false, error: `Exit ${n} of /tmp/x/${n}`} : null,
    })
    ids.push(id)
  }

  // Two failures created in the same µs: the later stored is the newer example.
  for (const id of ['twin-1', 'twin-2']) {
    store.insert({
      job_id: id,
      username: 'alice',
      operation_type: 'sync_repository',
      status: 'failed',
      created_us: TWIN_HOUR.sinceUs + 5,
      error: 'twin failure',
    })
  }

  return ids
}

describe('server: per-hour job aggregates', () => {
  let root: string
  let db: Db | undefined
  let store: JobStore

  beforeEach(() => {
    root = tempRoot('hour-stats')
    db = openDatabase(root)
    store = new JobStore(db)
  })

  afterEach(() => {
    db?.close()
    db = undefined
    rmSync(root, {recursive: true, force: true})
  })

  it('give the figures of the rows over windows with whole and part hours, as jobs are added', () => {
    seedJobs(store, 600, random(1))
    expect(expectFiguresOfRows(db as Db)).to.be.greaterThan(1000)
    const twins = queryJobStats(db as Db, {...TWIN_HOUR, viewer: 'alice'})
    expect(twins.top_errors).to.deep.include({error: 'twin failure', count: 2, example_job_id: 'twin-2'})
  })

  it('follow jobs as they start, finish, fail, change their error and move', () => {
    const next = random(2)
    const ids = seedJobs(store, 400, next)
    const changes: Array<(id: string) => JobChanges> = [
      () => ({status: 'running', started_us: END_US - HOUR_US + Math.floor(next() * HOUR_US)}),
      (id) => ({status: 'completed', completed_us: (store.get(id)?.created_us ?? 0) + 90_000 * MS_US}),
      () => ({status: 'failed', error: 'Clone of /srv/repos/z9 failed: exit 2', result: null}),
      () => ({error: null, result: {success: false, message: 'no space left on /dev/sda1'}}),
      () => ({progress: 70, current_phase: 'indexing', updated_us: END_US}),
      () => ({username: 'bob', repository: 'repo-b', operation_type: 'sync_repository'}),
      () => ({created_us: END_US - 2 * HOUR_US - 1}),
    ]
    for (const [n, id] of ids.entries()) if (n % 3 === 0) store.update(id, changes[n % changes.length](id))
    store.orphanActive('Server restarted')
    store.update('twin-2', {status: 'completed'})
    expectFiguresOfRows(db as Db)
    const twins = queryJobStats(db as Db, {...TWIN_HOUR, viewer: 'alice'})
    expect(twins.top_errors).to.deep.include({error: 'twin failure', count: 1, example_job_id: 'twin-1'})
  })

  it('forget the jobs the cleanup and the retention sweep archive and delete, examples included', () => {
    seedJobs(store, 600, random(3))
    const archive = new JobArchive(db as Db, join(root, 'archive'))
    const cutoffs = [END_US - 48 * HOUR_US, END_US - 7 * HOUR_US + 6, END_US + DAY_US]
    for (const cutoffUs of cutoffs) {
      expect(archive.sweep((limit) => store.finishedBefore(cutoffUs, limit))).to.be.greaterThan(0)
      expectFiguresOfRows(db as Db)
    }

    const left = queryJobStats(db as Db, {sinceUs: END_US - 100 * DAY_US, untilUs: END_US})
    expect(left.by_status).to.have.keys('queued', 'running')
  })

  it('are built from the rows of a database that has none, or another version of them', () => {
    const aggregates = ['job_hour_counts', 'job_hour_durations', 'job_hour_waits', 'job_hour_errors']
    ;(db as Db).exec(`DROP TRIGGER job_hour_stats_on_insert; DROP TRIGGER job_hour_stats_on_delete;
      ${aggregates.map((table) => `DROP TRIGGER ${table}_on_update; DROP TABLE ${table};`).join('\n')}
      DROP TABLE job_hour_stats_version`)
    seedJobs(store, 300, random(4))
    ;(db as Db).close()
    db = openDatabase(root)
    expect(expectFiguresOfRows(db)).to.be.greaterThan(500)

    db.exec('UPDATE job_hour_counts SET n = n + 5; UPDATE job_hour_stats_version SET version = 0')
    db.close()
    db = openDatabase(root)
    expectFiguresOfRows(db)
  })
})
