import {expect} from 'chai'

import {type JobStatsBody, queryJobStats} from '../../src/jobs/stats/job-stats-query.js'
import {figuresFromRows} from '../../src/jobs/stats/window-figures.js'
import {waitFor} from '../support/api.js'
import {sqliteOf, startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'

const SECOND = 1000
const HOUR = 3_600_000
const DAY = 24 * HOUR

describe('server: GET /api/jobs/stats', () => {
  let test: TestServer
  let tokens: Record<string, string>
  const until = new Date('2026-11-30T12:00:00.000Z')
  const since = new Date(until.getTime() - 7 * DAY)
  const ago = (ms: number) => new Date(until.getTime() - ms)
  const window = `since=${since.toISOString()}&until=${until.toISOString()}`

  before(async () => {
    test = await startTestServer()
    tokens = await usersWithTokens(test, 'alice', 'bob')
    const {testing} = test.server
    // alice: ten syncs that ran 1..10 s after waiting 1..10 s, one a day apart from the newest.
    for (let n = 1; n <= 10; n++) {
      const created = ago(n * HOUR)
      await testing.insertJob({
        job_id: `sync-${n}`,
        username: 'alice',
        status: n === 10 ? 'completed_partial' : 'completed',
        created_at: created,
        started_at: new Date(created.getTime() + n * SECOND),
        completed_at: new Date(created.getTime() + 2 * n * SECOND),
      })
    }

    await testing.insertJob({
      job_id: 'fail-1',
      username: 'alice',
      status: 'failed',
      created_at: ago(3 * DAY),
      error: ' ',
    })
    await testing.insertJob({
      job_id: 'fail-2',
      username: 'alice',
      status: 'failed',
      created_at: ago(2 * DAY),
      result: {success: false, error: 'Clone of /srv/a/b failed: exit 128'},
    })
    await testing.insertJob({job_id: 'wait-1', username: 'alice', status: 'pending', created_at: ago(HOUR / 2)})
    await testing.insertJob({job_id: 'old-1', username: 'alice', status: 'failed', created_at: ago(8 * DAY)})
    await testing.insertJob({
      job_id: 'bob-1',
      username: 'bob',
      status: 'failed',
      created_at: ago(HOUR),
      error: 'bob only',
    })
  })

  after(() => test.stop())

  const stats = async (query: string, token: string) => {
    const response = await test.api.get<JobStatsBody>(`/api/jobs/stats?${query}`, token)
    expect(response.status, response.text).to.equal(200)
    return response.body
  }

  it("gives a user their own jobs' figures over the window, nearest-rank percentiles in seconds", async () => {
    const body = await stats(window, tokens.alice)
    expect(body).to.deep.include({
      sample: 13,
      complete: true,
      since: since.toISOString(),
      until: until.toISOString(),
      by_status: {completed: 9, completed_partial: 1, failed: 2, queued: 1},
      success_rate: 10 / 12,
      duration: {p50_s: 5, p95_s: 10, max_s: 10},
      queue_wait: {p50_s: 5, p95_s: 10},
      timeline_unit: 'day',
    })
    expect(body.by_type.sync_repository).to.deep.equal({
      count: 13,
      failed: 2,
      success_rate: 10 / 12,
      duration_p50_s: 5,
      duration_p95_s: 10,
    })
    expect(body.top_errors).to.deep.equal([
      {error: '(no error text)', count: 1, example_job_id: 'fail-1'},
      {error: 'Clone of <path> failed: exit <n>', count: 1, example_job_id: 'fail-2'},
    ])
    expect(body.timeline).to.have.length(8)
    expect(body.timeline.at(-1)).to.deep.equal({
      start: '2026-11-30T00:00:00.000Z',
      completed: 10,
      failed: 0,
      cancelled: 0,
      other: 1,
    })
  })

  it("shows an admin everyone's jobs, and a user nothing of another user's", async () => {
    expect((await stats(window, test.adminToken)).sample).to.equal(14)
    expect((await stats(`${window}&username=bob`, tokens.alice)).sample).to.equal(0)
    expect((await stats(`${window}&username=bob`, test.adminToken)).top_errors).to.deep.equal([
      {error: 'bob only', count: 1, example_job_id: 'bob-1'},
    ])
  })

  it('filters by type and repository, and answers an empty window with nulls', async () => {
    expect((await stats(`${window}&operation_type=add_golden_repo`, tokens.alice)).sample).to.equal(0)
    const empty = await stats(`${window}&repository=none`, tokens.alice)
    expect(empty).to.deep.include({sample: 0, success_rate: null, duration: {p50_s: null, p95_s: null, max_s: null}})
  })

  it('needs a token and refuses a time that is not one', async () => {
    expect((await test.api.get(`/api/jobs/stats?${window}`)).status).to.equal(401)
    expect((await test.api.get('/api/jobs/stats?since=yesterday', tokens.alice)).status).to.equal(422)
  })
})

describe('server: GET /api/jobs/stats after the cleanup and the retention sweep', () => {
  let test: TestServer
  const now = Date.now()
  /** Two days up to now: whole hours from the aggregates, the current part-hour from the rows. */
  const window = {sinceUs: (now - 2 * DAY) * 1000, untilUs: now * 1000}
  const query = `since=${new Date(now - 2 * DAY).toISOString()}&until=${new Date(now).toISOString()}`

  afterEach(() => test.stop())

  /** Failures 1..40 h old: the newest of each error text is removed before the others. */
  async function seedFailures(): Promise<void> {
    for (let n = 1; n <= 40; n++) {
      const created = new Date(now - n * HOUR - (n % 7) * 60 * SECOND)
      await test.server.testing.insertJob({
        job_id: `job-${n}`,
        status: n % 4 === 0 ? 'completed' : 'failed',
        created_at: created,
        started_at: new Date(created.getTime() + n * SECOND),
        completed_at: new Date(created.getTime() + 3 * n * SECOND),
        error: `Clone of /srv/repo-${n % 3}/x failed: exit ${n}`,
      })
    }
  }

  async function expectFiguresOfRows(): Promise<JobStatsBody> {
    const response = await test.api.get<JobStatsBody>(`/api/jobs/stats?${query}`, test.adminToken)
    expect(response.body).to.deep.equal(queryJobStats(sqliteOf(test.server), window, figuresFromRows))
    return response.body
  }

  it('counts exactly the jobs the cleanup endpoint left', async () => {
    test = await startTestServer()
    await seedFailures()
    expect((await expectFiguresOfRows()).top_errors).to.deep.equal([
      {error: 'Clone of <path> failed: exit <n>', count: 30, example_job_id: 'job-1'},
    ])
    const cleanup = await test.api.delete('/api/admin/jobs/cleanup?max_age_hours=20', test.adminToken)
    expect(cleanup.body).to.deep.include({cleaned_count: 21})
    expect((await expectFiguresOfRows()).top_errors).to.deep.equal([
      {error: 'Clone of <path> failed: exit <n>', count: 15, example_job_id: 'job-1'},
    ])
  })

  it('counts exactly the jobs the periodic retention job left', async () => {
    test = await startTestServer({retentionHours: 1, cleanupIntervalMs: 100})
    await seedFailures()
    await waitFor('the retention sweep', async () =>
      (await test.server.testing.countJobs({status: 'failed'})) === 0 ? true : undefined,
    )
    const body = await expectFiguresOfRows()
    expect(body.top_errors).to.deep.equal([])
    expect(body.by_status).to.not.have.any.keys('failed')
  })
})
