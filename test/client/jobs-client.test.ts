import type {ServerHandle} from '@cidx/local-server'

import {expect} from 'chai'
import nock from 'nock'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {TokenSet} from '../../src/auth/credentials.js'
import type {Job} from '../../src/jobs/job.js'

import {JobsClient} from '../../src/client/jobs-client.js'
import {collectJobs} from '../../src/client/paging.js'
import {ConflictError, ForbiddenError, NetworkError, NotFoundError, ProtocolError} from '../../src/errors.js'
import {ExitCode} from '../../src/exit-codes.js'
import {
  client,
  clientOfFake,
  JOB_ID,
  JOB_PATH,
  rejection,
  SERVER,
  useNock,
} from '../helpers/fixtures/client-fixtures.js'
import {jobSeries, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, type FakeCidxOptions, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {startLocalServer} from '../helpers/servers/local-server.js'

const MINUTE = 60_000
const NEWEST = new Date('2026-11-28T12:00:00Z')

function ids(jobs: Job[]): string[] {
  return jobs.map((job) => job.job_id)
}

describe('JobsClient against a fake CIDX server over loopback', () => {
  let fake: FakeCidx | undefined

  async function serve(options: FakeCidxOptions): Promise<JobsClient> {
    fake = await startFakeCidx(options)
    return clientOfFake(fake)
  }

  afterEach(async () => {
    await fake?.close()
    fake = undefined
  })

  describe('one page', () => {
    it('reads the limit the server used: a real one caps it at 50', async () => {
      const client = await serve({paging: 'defect', jobs: jobSeries(80, {newest: NEWEST})})
      const page = await client.listPage({}, {limit: 100, offset: 0})
      expect(page.jobs).to.have.length(50)
      expect(page).to.deep.include({limit: 50, offset: 0, total: 50})
      expect(fake?.listings[0].get('limit')).to.equal('100')
    })

    it('a single type and status are sent; several are filtered on the client only', async () => {
      const client = await serve({paging: 'defect', jobs: []})
      await client.listPage({statuses: ['queued'], types: ['reindex']})
      await client.listPage({statuses: ['queued', 'running'], types: ['reindex', 'sync_repository']})
      const [single, several] = fake?.listings ?? []
      expect(single.get('status')).to.equal('pending')
      expect(single.get('operation_type')).to.equal('reindex')
      expect(several.has('status')).to.equal(false)
      expect(several.has('operation_type')).to.equal(false)
    })
  })

  describe('one job', () => {
    it('gets, cancels, and maps the answers of a real server', async () => {
      const pending = wireJob({job_id: 'data-retention-1a2b3c4d', status: 'pending', username: 'system'})
      const completed = wireJob({job_id: 'done-1', status: 'completed'})
      const client = await serve({paging: 'defect', jobs: [pending, completed]})
      expect((await client.getJob('data-retention-1a2b3c4d')).status).to.equal('queued')
      expect(await client.cancelJob('data-retention-1a2b3c4d')).to.deep.equal({message: 'Job cancelled successfully'})
      expect((await client.getJob('data-retention-1a2b3c4d')).status).to.equal('cancelled')
      const notCancellable = await client.cancelJob('done-1').catch((error: unknown) => error)
      expect(notCancellable)
        .to.be.instanceOf(ConflictError)
        .and.deep.include({exitCode: 6, message: 'Cannot cancel job in completed status'})
      const missing = await client.cancelJob('nope').catch((error: unknown) => error)
      expect(missing).to.be.instanceOf(ForbiddenError).and.deep.include({exitCode: 4})
      const unknown = await client.getJob('a/b c').catch((error: unknown) => error)
      expect(unknown).to.be.instanceOf(NotFoundError).and.deep.include({exitCode: 4, message: 'Job not found: a/b c'})
    })
  })

  describe('server features', () => {
    it('reads them from the header of a jobs answer it already has, with no request of its own', async () => {
      const client = await serve({paging: 'correct', features: ['job_filters', 'job_events', 'Bad Name!']})
      await client.listPage({})
      expect([...(await client.serverFeatures())]).to.deep.equal(['job_filters', 'job_events'])
      expect(fake?.requests).to.deep.equal(['GET /api/jobs'])
    })

    it('before any jobs answer, asks GET /health with its token, once', async () => {
      const client = await serve({paging: 'correct', features: ['job_filters', 'job_events', 42] as string[]})
      expect([...(await client.serverFeatures())]).to.deep.equal(['job_filters', 'job_events'])
      await client.listPage({})
      expect([...(await client.serverFeatures())]).to.deep.equal(['job_filters', 'job_events'])
      // The fake's /health refuses a caller without the token, as a real server does.
      expect(fake?.requests).to.deep.equal(['GET /health', 'GET /api/jobs'])
    })

    it('a real server names none in its jobs answers', async () => {
      const client = await serve({paging: 'defect', jobs: [wireJob({job_id: JOB_ID})]})
      await client.getJob(JOB_ID)
      expect(await client.serverFeatures()).to.deep.equal(new Set())
      expect(fake?.requests).to.deep.equal([`GET ${JOB_PATH}`])
    })

    it('a real server advertises nothing, and an unreachable one counts as a real one', async () => {
      const client = await serve({paging: 'defect'})
      expect(await client.serverFeatures()).to.deep.equal(new Set())
      const url = fake?.url ?? ''
      await fake?.close()
      fake = undefined
      const offline = new JobsClient({
        env: {},
        credentials: {serverUrl: url, source: 'env', staticToken: 'x'},
        retry: {baseDelayMs: 1},
      })
      expect(await offline.serverFeatures()).to.deep.equal(new Set())
    })
  })
})

describe('JobsClient against the local server (real HTTP, real SQLite)', () => {
  const ADMIN_PASSWORD = 'local-admin-pw-1'
  let server: ServerHandle
  let dataDir: string
  let client: JobsClient
  const saved: Array<null | TokenSet> = []

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cidx-jobs-client-'))
    server = await startLocalServer({port: 0, dataDir, adminPassword: ADMIN_PASSWORD})
    client = new JobsClient({
      env: {},
      credentials: {
        serverUrl: server.url,
        source: 'env',
        username: 'admin',
        password: ADMIN_PASSWORD,
        tokenStore: {
          load: async () => null,
          async save(tokens) {
            saved.push(tokens)
          },
        },
      },
      retry: {baseDelayMs: 1},
    })
  })

  after(async () => {
    await server.close()
    await rm(dataDir, {recursive: true, force: true})
  })

  it('logs in with the password, lists, gets and cancels', async () => {
    const now = Date.now()
    const older = await server.testing.insertJob({
      status: 'completed',
      operation_type: 'add_golden_repo',
      created_at: new Date(now - 2 * MINUTE),
      result: {success: true, alias: 'web'},
      progress: 100,
    })
    const queued = await server.testing.insertJob({
      status: 'pending',
      operation_type: 'sync_repository',
      created_at: new Date(now - MINUTE),
      result: {alias: 'backend'},
    })

    const collected = await collectJobs(client, {}, {limit: 'all'})
    expect(ids(collected.jobs)).to.deep.equal([queued.job_id, older.job_id])
    expect(collected).to.deep.include({complete: true, serverStoppedEarly: false, totalAtLeast: 2})
    expect(saved).to.have.length(1)
    expect(await client.whoami()).to.deep.equal({username: 'admin', role: 'admin'})

    const job = await client.getJob(queued.job_id)
    expect(job).to.deep.include({
      status: 'queued',
      job_type: 'sync_repository',
      repository: 'backend',
      description: 'Sync repository backend',
      user_id: 'admin',
    })
    expect(job.created_at).to.match(/Z$/)

    expect((await client.cancelJob(queued.job_id)).message).to.match(/cancel/i)
    expect((await client.getJob(queued.job_id)).status).to.equal('cancelled')
    const again = await client.cancelJob(queued.job_id).catch((error: unknown) => error)
    expect(again).to.be.instanceOf(ConflictError)
    expect(await client.serverFeatures()).to.include('job_events')
  })

  it('pushes job changes as events and stops when aborted', async () => {
    const job = await server.testing.insertJob({
      status: 'running',
      operation_type: 'reindex',
      started_at: new Date(),
      progress: 10,
      result: {alias: 'backend'},
    })
    const stop = new AbortController()
    const seen: Job[] = []
    for await (const event of client.streamJobEvents([job.job_id], stop.signal)) {
      seen.push(event)
      if (seen.length === 1)
        await server.testing.updateJob(job.job_id, {
          progress: 55,
          current_phase: 'semantic',
          phase_detail: '275/500 files (55%) | 9.1 files/s',
        })
      else stop.abort()
    }

    expect(seen.map((event) => event.progress)).to.deep.equal([10, 55])
    expect(seen[1].progress_detail).to.deep.include({current_step: 'semantic', steps_completed: 275, total_steps: 500})
  })
})

describe('JobsClient with nock', () => {
  useNock()

  describe('listings that break the contract', () => {
    const notCidx = `This is not a CIDX server API at ${SERVER}: GET ${SERVER}/api/jobs answered with no "jobs" list`
    const listings: Array<[string, unknown, string]> = [
      ['"jobs" that is not a list', {jobs: {a: 1}, total: 1}, notCidx],
      ['a list instead of an object', [wireJob()], notCidx],
      ['an empty body', '', notCidx],
    ]
    for (const [what, body, message] of listings) {
      it(`a listing with ${what} means there is no CIDX server API at that URL (exit 5)`, async () => {
        nock(SERVER)
          .get('/api/jobs')
          .query(true)
          .reply(200, body as nock.Body)
        const error = await rejection(client({staticToken: 'tok-1234'}).listPage({}))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error).to.include({message, exitCode: ExitCode.NETWORK})
      })
    }

    it('a listing answered 404 (JSON or a web page) is no CIDX server API either; a 404 of one job is no such job', async () => {
      nock(SERVER)
        .get('/api/jobs')
        .query(true)
        .reply(404, {detail: 'Not Found'})
        .get('/api/jobs')
        .query(true)
        .reply(404, '<html><body>Nothing here</body></html>', {'content-type': 'text/html'})
        .get(JOB_PATH)
        .reply(404, {detail: 'Not Found'})
      const jobs = client({staticToken: 'tok-1234'})
      expect(await rejection(jobs.listPage({}))).to.include({
        message: `This is not a CIDX server API at ${SERVER}: GET ${SERVER}/api/jobs answered 404: Not Found`,
        exitCode: ExitCode.NETWORK,
        status: 404,
      })
      expect(await rejection(jobs.listPage({}))).to.include({
        message: `This is not a CIDX server API at ${SERVER}: GET ${SERVER}/api/jobs answered HTTP 404 Not Found`,
        exitCode: ExitCode.NETWORK,
      })
      const missing = await rejection(jobs.getJob(JOB_ID))
      expect(missing).to.be.instanceOf(NotFoundError)
      expect(missing.exitCode).to.equal(ExitCode.NOT_FOUND)
    })
  })

  describe('listings with a job that breaks the contract', () => {
    const listings: Array<[string, unknown, RegExp]> = [
      ['a job without created_at', {jobs: [{job_id: 'x', status: 'running'}]}, /job x without created_at/],
      ['a job_id that is an object', {jobs: [{job_id: {}, created_at: '2026-11-20T08:03:00'}]}, /"job_id" is not text/],
    ]
    for (const [what, body, message] of listings) {
      it(`a listing with ${what} is a protocol error`, async () => {
        nock(SERVER)
          .get('/api/jobs')
          .query(true)
          .reply(200, body as nock.Body)
        const error = await rejection(client({staticToken: 'tok-1234'}).listPage({}))
        expect(error).to.be.instanceOf(ProtocolError)
        expect(error.message).to.match(message)
      })
    }
  })

  it('a cancelled job answers with the server message, and with none when the server gave none', async () => {
    nock(SERVER)
      .delete(JOB_PATH)
      .reply(200, {success: true, message: 'Job cancelled successfully'})
      .delete(JOB_PATH)
      .reply(200, '')
    const jobs = client({staticToken: 'tok-1234'})
    expect(await jobs.cancelJob(JOB_ID)).to.deep.equal({message: 'Job cancelled successfully'})
    expect(await jobs.cancelJob(JOB_ID)).to.deep.equal({message: null})
  })

  it('sends the filters and paging as query parameters, dropping empty ones', async () => {
    nock(SERVER)
      .get('/api/jobs')
      .query({
        limit: '50',
        offset: '0',
        status: 'pending',
        operation_type: 'reindex',
        repository: 'backend',
        username: 'bob',
        since: '2026-11-01T00:00:00.000Z',
      })
      .reply(200, {jobs: [], total: 0, limit: 50, offset: 0})
    const page = await client({staticToken: 'tok-1234'}).listPage({
      statuses: ['queued'],
      types: ['reindex'],
      repository: 'backend',
      user: 'bob',
      since: new Date('2026-11-01T00:00:00Z'),
    })
    expect(page).to.deep.equal({jobs: [], total: 0, limit: 50, offset: 0})
  })

  describe('cleanup answers', () => {
    it('a cleaned_count that is not a count is a protocol error', async () => {
      nock(SERVER).delete('/api/admin/jobs/cleanup').query({max_age_hours: 720}).reply(200, {cleaned_count: -1})
      const error = await rejection(client({staticToken: 'tok-1234'}).cleanupJobs(720))
      expect(error).to.be.instanceOf(ProtocolError)
      expect(error.message).to.contain('"cleaned_count" that is not a count')
    })

    it('a preview keeps only counts and real times', async () => {
      nock(SERVER)
        .get('/api/admin/jobs/cleanup/preview')
        .query({max_age_hours: 24})
        .reply(200, {count: 2, by_status: 'x', oldest: 'yesterday', newest: '2026-11-20T08:00:00+00:00'})
        .get('/api/admin/jobs/cleanup/preview')
        .query(true)
        .reply(200, {count: 1, by_status: {failed: 1.5}})
        .get('/api/admin/jobs/cleanup/preview')
        .query(true)
        .reply(200, '[]')
      const jobs = client({staticToken: 'tok-1234'})
      expect(await jobs.cleanupPreview(24)).to.deep.equal({
        count: 2,
        by_status: {},
        oldest: null,
        newest: '2026-11-20T08:00:00.000Z',
      })
      expect((await rejection(jobs.cleanupPreview(24))).message).to.contain('status count that is not a count')
      expect((await rejection(jobs.cleanupPreview(24))).message).to.contain(
        'cleanup preview with something not an object',
      )
    })
  })
})
