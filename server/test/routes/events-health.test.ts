import {expect} from 'chai'
import {join} from 'node:path'

import type {WireJob} from '../../src/jobs/job-row.js'

import {FEATURES_HEADER} from '../../src/routes/health-routes.js'
import {Api, type HealthBody, waitForJobEnd} from '../support/api.js'
import {createRepo, numberedFiles} from '../support/git-fixtures.js'
import {startTestServer, type TestServer, usersWithTokens, WIRE_KEYS} from '../support/server-fixture.js'
import {type EventStream, openEventStream, type SseEvent} from '../support/sse.js'

/** Generous: the target is ~100 ms, the bound only catches a channel that does not push at all. */
const PUSH_BOUND_MS = 2000

function job(event: SseEvent): WireJob {
  return JSON.parse(event.data) as WireJob
}

describe('server: job events (SSE)', () => {
  let test: TestServer
  let api: Api
  let tokens: Record<string, string>
  const streams: EventStream[] = []

  async function open(query: string, token: string): Promise<EventStream> {
    const stream = await openEventStream(`${test.server.url}/api/jobs/events${query}`, token)
    streams.push(stream)
    return stream
  }

  before(async () => {
    test = await startTestServer({jobThrottleMs: 20})
    api = test.api
    tokens = await usersWithTokens(test, 'alice', 'bob')
  })

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close()
  })

  after(() => test.stop())

  it('needs authentication like any /api call', async () => {
    const response = await api.get('/api/jobs/events')
    expect(response.status).to.equal(401)
    expect(response.body).to.deep.equal({detail: 'Missing authentication credentials'})
  })

  it('sends the watched job at once, then each change as "event: job" with the 12-key job and its phase', async () => {
    const seeded = await test.server.testing.insertJob({
      username: 'alice',
      status: 'running',
      result: {alias: 'backend'},
    })
    const stream = await open(`?job_id=${seeded.job_id}`, tokens.alice)
    expect(stream.status).to.equal(200)
    expect(stream.contentType).to.match(/^text\/event-stream/)
    const first = await stream.next(() => true)
    expect(first.event).to.equal('job')
    expect(Object.keys(job(first))).to.deep.equal(WIRE_KEYS)
    expect(job(first).status).to.equal('running')

    const changedAt = Date.now()
    await test.server.testing.updateJob(seeded.job_id, {
      progress: 55,
      current_phase: 'index',
      phase_detail: '55/100 files indexed',
    })
    const update = await stream.next((event) => job(event).progress === 55, PUSH_BOUND_MS)
    expect(Date.now() - changedAt).to.be.below(PUSH_BOUND_MS)
    expect(job(update)).to.include({current_phase: 'index', phase_detail: '55/100 files indexed'})
    expect(Number(update.id)).to.be.above(Number(first.id))
  })

  it('takes job_id repeated or comma-separated, and ignores jobs the caller may not see', async () => {
    const {testing} = test.server
    const a = await testing.insertJob({username: 'alice', status: 'pending'})
    const b = await testing.insertJob({username: 'alice', status: 'pending'})
    const c = await testing.insertJob({username: 'alice', status: 'pending'})
    const bobs = await testing.insertJob({username: 'bob', status: 'pending'})
    const stream = await open(`?job_id=${a.job_id},${b.job_id}&job_id=${bobs.job_id}`, tokens.alice)
    await stream.next((event) => job(event).job_id === b.job_id)
    for (const seeded of [c, bobs, a]) await testing.updateJob(seeded.job_id, {status: 'running'})
    await stream.next((event) => job(event).job_id === a.job_id && job(event).status === 'running')
    const ids = stream.events.map((event) => job(event).job_id)
    expect(ids).to.not.include(c.job_id)
    expect(ids).to.not.include(bobs.job_id)
  })

  it('without job_id streams every job the caller may see: users their own, admins all', async () => {
    const aliceStream = await open('', tokens.alice)
    const adminStream = await open('', test.adminToken)
    const bobs = await test.server.testing.insertJob({username: 'bob', status: 'pending'})
    const alices = await test.server.testing.insertJob({username: 'alice', status: 'pending'})
    await aliceStream.next((event) => job(event).job_id === alices.job_id)
    await adminStream.next((event) => job(event).job_id === alices.job_id)
    expect(adminStream.events.map((event) => job(event).job_id)).to.include(bobs.job_id)
    expect(aliceStream.events.map((event) => job(event).job_id)).to.not.include(bobs.job_id)
  })

  it('follows a real job from pending through its progress to its terminal state', async () => {
    const source = join(test.root, 'events-source')
    createRepo(source, numberedFiles(70))
    const stream = await open('', test.adminToken)
    const response = await api.post('/api/admin/golden-repos', {repo_url: source, alias: 'streamed'}, test.adminToken)
    const jobId = response.body.job_id
    await stream.next((event) => job(event).job_id === jobId && job(event).status === 'completed', 10_000)
    const mine = stream.events.map((event) => job(event)).filter((event) => event.job_id === jobId)
    expect(mine[0].status).to.equal('pending')
    expect(
      mine.some((event) => event.status === 'running' && /^\d+\/70 files indexed$/.test(event.phase_detail ?? '')),
    ).to.equal(true)
    expect(mine.filter((event) => event.status === 'completed')).to.have.length(1)
    expect(mine.at(-1)?.status).to.equal('completed')
    expect(await waitForJobEnd(api, test.adminToken, jobId)).to.deep.equal(mine.at(-1))
  })
})

describe('server: job events when the server closes', () => {
  it('ends open streams, so close() does not wait for watchers', async () => {
    const test = await startTestServer()
    const stream = await openEventStream(`${test.server.url}/api/jobs/events`, test.adminToken)
    const connected = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (stream.comments.includes('connected')) {
          clearInterval(poll)
          resolve()
        }
      }, 5)
    })
    await connected
    await test.stop()
    const reconnect = await fetch(`${test.server.url}/health`).then(
      () => 'answered',
      () => 'refused',
    )
    expect(reconnect).to.equal('refused')
    stream.close()
  })
})

describe('server: health', () => {
  let test: TestServer

  before(async () => {
    test = await startTestServer({health: {stuckAfterSeconds: 60, queueWaitWarningSeconds: 120}})
  })

  after(() => test.stop())

  it('names the extensions in a header of every API answer, refusals included', async () => {
    const listing = await test.api.get('/api/jobs', test.adminToken)
    const missing = await test.api.get('/api/jobs/no-such-job', test.adminToken)
    const refused = await test.api.get('/api/jobs')
    expect([listing.status, missing.status, refused.status]).to.deep.equal([200, 404, 401])
    for (const answer of [listing, missing, refused]) {
      expect(answer.headers.get(FEATURES_HEADER)).to.equal('job_filters, job_events, cleanup_preview, job_stats')
    }
  })

  it('answers without authentication, advertises the extensions and reports the jobs', async () => {
    const response = await test.api.get<HealthBody>('/health')
    expect(response.status).to.equal(200)
    expect(response.body.status).to.equal('healthy')
    expect(response.body.features).to.deep.equal(['job_filters', 'job_events', 'cleanup_preview', 'job_stats'])
    expect(response.headers.get(FEATURES_HEADER), 'the header is for API answers').to.equal(null)
    expect(response.body.jobs).to.include({
      workers: 2,
      pending: 0,
      running: 0,
      oldest_pending_age_seconds: null,
      failed_last_hour: 0,
      stuck_count: 0,
    })
  })

  it('turns degraded when a running job is stuck or the queue is backed up, and counts recent failures', async () => {
    const {testing} = test.server
    const hourAgo = new Date(Date.now() - 3_600_000)
    const stuck = await testing.insertJob({
      username: 'alice',
      status: 'running',
      created_at: hourAgo,
      started_at: hourAgo,
    })
    await testing.insertJob({username: 'alice', status: 'running'})
    await testing.insertJob({username: 'alice', status: 'pending', created_at: hourAgo})
    await testing.insertJob({username: 'alice', status: 'failed', completed_at: new Date()})
    await testing.insertJob({username: 'alice', status: 'failed', completed_at: new Date(Date.now() - 2 * 3_600_000)})
    const {body} = await test.api.get<HealthBody>('/health', test.adminToken)
    expect(body.status).to.equal('degraded')
    expect(body.reasons).to.have.length(2)
    expect(body.jobs).to.include({pending: 1, running: 2, failed_last_hour: 1, stuck_count: 1})
    expect(body.jobs.oldest_pending_age_seconds).to.be.within(3590, 3700)
    expect(body.jobs.stuck.map((entry: {job_id: string}) => entry.job_id)).to.deep.equal([stuck.job_id])
    await testing.updateJob(stuck.job_id, {updated_at: new Date()})
    expect((await test.api.get('/health', test.adminToken)).body.jobs)
      .to.include({stuck_count: 0})
      .and.deep.include({stuck: []})
  })

  it('names stuck jobs and their users only to a caller with a token: an admin all, anyone else their own', async () => {
    const {testing} = test.server
    const tokens = await usersWithTokens(test, 'carol', 'dave')
    const hourAgo = new Date(Date.now() - 3_600_000)
    const carols = await testing.insertJob({
      username: 'carol',
      status: 'running',
      created_at: hourAgo,
      started_at: hourAgo,
    })
    await testing.insertJob({username: 'dave', status: 'running', created_at: hourAgo, started_at: hourAgo})
    const anonymous = (await test.api.get('/health')).body
    expect(anonymous.jobs).to.include({stuck_count: 2}).and.not.have.property('stuck')
    expect(JSON.stringify(anonymous)).to.not.include(carols.job_id).and.not.include('carol')
    const carol = (await test.api.get<HealthBody>('/health', tokens.carol)).body
    expect(carol.jobs.stuck.map((entry: {username: string}) => entry.username)).to.deep.equal(['carol'])
    const admin = (await test.api.get<HealthBody>('/health', test.adminToken)).body
    expect(admin.jobs.stuck.map((entry: {username: string}) => entry.username)).to.have.members(['carol', 'dave'])
    const invalid = await test.api.get('/health', 'not-a-token')
    expect(invalid.status).to.equal(401)
    expect(invalid.body).to.deep.equal({detail: 'Invalid token'})
  })
})
