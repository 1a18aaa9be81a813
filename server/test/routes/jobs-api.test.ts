import Database from 'better-sqlite3'
import {expect} from 'chai'
import {join} from 'node:path'

import {Api, type ValidationErrorBody} from '../support/api.js'
import {sqliteOf, startTestServer, type TestServer, usersWithTokens, WIRE_KEYS} from '../support/server-fixture.js'

const PYTHON_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/

/** A timestamp `minutesAgo` minutes before now. */
function minutesAgo(minutes: number): Date {
  return new Date(Date.now() - minutes * 60_000)
}

describe('server: jobs API', () => {
  let test: TestServer
  let api: Api
  let tokens: Record<string, string>

  before(async () => {
    test = await startTestServer()
    api = test.api
    tokens = await usersWithTokens(test, 'alice', 'bob')
  })

  after(() => test.stop())

  describe('GET /api/jobs', () => {
    let aliceJobIds: string[]

    before(async () => {
      const {testing} = test.server
      // 120 jobs for alice, one a minute, newest last; statuses rotate; three repositories.
      const statuses = ['completed', 'failed', 'running', 'pending', 'cancelled', 'completed_partial']
      aliceJobIds = []
      for (let n = 0; n < 120; n++) {
        const seeded = await testing.insertJob({
          username: 'alice',
          status: statuses[n % statuses.length],
          operation_type: n % 2 === 0 ? 'sync_repository' : 'activate_repository',
          created_at: minutesAgo(1000 - n),
          result: {alias: `repo-${n % 3}`},
        })
        aliceJobIds.push(seeded.job_id)
      }

      await testing.insertJob({
        username: 'bob',
        status: 'completed',
        operation_type: 'sync_repository',
        result: {alias: 'repo-0'},
      })
      await testing.insertJob({
        username: 'system',
        job_id: 'data-retention-1a2b3c4d',
        status: 'completed',
        operation_type: 'data_retention_cleanup',
      })
    })

    it("lists the caller's jobs newest first with the default limit 10 and the true total", async () => {
      const response = await api.get('/api/jobs', tokens.alice)
      expect(response.status).to.equal(200)
      expect(response.body).to.include({total: 120, limit: 10, offset: 0})
      expect(response.body.jobs.map((job: {job_id: string}) => job.job_id)).to.deep.equal(
        aliceJobIds.slice(-10).reverse(),
      )
    })

    it('sends exactly the 12 wire keys, Python isoformat timestamps, and no phase in listings', async () => {
      await test.server.testing.updateJob(aliceJobIds[116], {
        current_phase: 'index',
        phase_detail: '3/9 files indexed',
        started_at: minutesAgo(5),
      })
      const response = await api.get('/api/jobs?status=running&limit=1', tokens.alice)
      const [job] = response.body.jobs
      expect(Object.keys(job)).to.deep.equal(WIRE_KEYS)
      expect(job.created_at).to.match(PYTHON_ISO)
      expect(job.started_at).to.match(PYTHON_ISO)
      expect(job).to.include({current_phase: null, phase_detail: null})
      const single = await api.get(`/api/jobs/${aliceJobIds[116]}`, tokens.alice)
      expect(Object.keys(single.body)).to.deep.equal(WIRE_KEYS)
      expect(single.body).to.include({current_phase: 'index', phase_detail: '3/9 files indexed'})
    })

    it('clamps limit to 1..100 then caps it at 50, and turns a negative offset into 0', async () => {
      const cases: [string, number][] = [
        ['limit=0', 1],
        ['limit=-4', 1],
        ['limit=75', 50],
        ['limit=1000', 50],
        ['limit=7', 7],
      ]
      for (const [query, expected] of cases) {
        const response = await api.get(`/api/jobs?${query}`, tokens.alice)
        expect(response.body.limit, query).to.equal(expected)
        expect(response.body.jobs, query).to.have.length(expected)
      }

      const negative = await api.get('/api/jobs?offset=-5&limit=3', tokens.alice)
      expect(negative.body.offset).to.equal(0)
    })

    it('pages correctly beyond the first 50 (unlike the real server) until an empty page', async () => {
      const seen: string[] = []
      for (let offset = 0; ;) {
        const page = await api.get(`/api/jobs?limit=50&offset=${offset}`, tokens.alice)
        expect(page.body.total).to.equal(120)
        if (page.body.jobs.length === 0) break
        seen.push(...page.body.jobs.map((job: {job_id: string}) => job.job_id))
        offset += page.body.jobs.length
      }

      expect(seen).to.deep.equal([...aliceJobIds].reverse())
    })

    it('filters by one exact status; an unknown status matches nothing', async () => {
      const failed = await api.get('/api/jobs?status=failed&limit=50', tokens.alice)
      expect(failed.body.total).to.equal(20)
      expect(failed.body.jobs.every((job: {status: string}) => job.status === 'failed')).to.equal(true)
      const unknown = await api.get('/api/jobs?status=queued', tokens.alice)
      expect(unknown.body).to.include({total: 0})
      expect(unknown.body.jobs).to.deep.equal([])
    })

    it('filters by operation_type, repository, since and until (extensions of the local server)', async () => {
      const byType = await api.get('/api/jobs?operation_type=activate_repository&limit=50', tokens.alice)
      expect(byType.body.total).to.equal(60)
      const byRepo = await api.get('/api/jobs?repository=repo-1&status=failed', tokens.alice)
      expect(
        byRepo.body.jobs.every((job) => (job.result as {alias: string}).alias === 'repo-1' && job.status === 'failed'),
      ).to.equal(true)
      expect(byRepo.body.total).to.equal(aliceJobIds.filter((_, n) => n % 3 === 1 && n % 6 === 1).length)
      const since = encodeURIComponent(minutesAgo(1000 - 110 - 0.5).toISOString())
      const recent = await api.get(`/api/jobs?since=${since}&limit=50`, tokens.alice)
      expect(recent.body.total).to.equal(9)
      const until = encodeURIComponent(
        minutesAgo(1000 - 4 - 0.5)
          .toISOString()
          .replace('Z', '+00:00'),
      )
      const old = await api.get(`/api/jobs?until=${until}&limit=50`, tokens.alice)
      expect(old.body.jobs.map((job: {job_id: string}) => job.job_id)).to.deep.equal(aliceJobIds.slice(0, 5).reverse())
    })

    it('answers 422 in the envelope for a non-integer limit/offset or an invalid date', async () => {
      const response = await api.get<ValidationErrorBody>(
        '/api/jobs?limit=abc&offset=1.5&since=yesterday',
        tokens.alice,
      )
      expect(response.status).to.equal(422)
      expect(Object.keys(response.body)).to.have.members([
        'error',
        'message',
        'detail',
        'correlation_id',
        'timestamp',
        'details',
      ])
      expect(response.body.error).to.equal('validation_error')
      expect(response.body.timestamp).to.match(/Z$/)
      expect(response.body.detail).to.deep.include({
        loc: ['query', 'limit'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        type: 'int_parsing',
        input: 'abc',
      })
      expect(response.body.details.field_errors).to.deep.include({
        field: 'query.offset',
        message: 'Input should be a valid integer, unable to parse string as an integer',
        rejected_value: '1.5',
        error_type: 'int_parsing',
      })
      const dates = await api.get<ValidationErrorBody>('/api/jobs?since=yesterday', tokens.alice)
      expect(dates.body.detail[0]).to.include({type: 'datetime_from_date_parsing', input: 'yesterday'})
    })

    it("isolates users: Bob sees only his job, an admin sees everyone's including system jobs", async () => {
      const bob = await api.get('/api/jobs', tokens.bob)
      expect(bob.body.total).to.equal(1)
      expect(bob.body.jobs[0].username).to.equal('bob')
      const admin = await api.get('/api/jobs?limit=50', test.adminToken)
      expect(admin.body.total).to.equal(122)
      const system = await api.get('/api/jobs?username=system', test.adminToken)
      expect(system.body.jobs.map((job: {job_id: string}) => job.job_id)).to.deep.equal(['data-retention-1a2b3c4d'])
      const nosy = await api.get('/api/jobs?username=alice', tokens.bob)
      expect(nosy.body).to.include({total: 0})
    })
  })

  describe('GET /api/jobs/{id} and DELETE /api/jobs/{id}', () => {
    it('answers 404 "Job not found: <id>" for a missing job and for another user\'s job', async () => {
      const bobs = await test.server.testing.insertJob({username: 'bob', status: 'running'})
      for (const id of ['no-such-job', bobs.job_id]) {
        const response = await api.get(`/api/jobs/${id}`, tokens.alice)
        expect(response.status).to.equal(404)
        expect(response.body).to.deep.equal({detail: `Job not found: ${id}`})
      }

      expect((await api.get(`/api/jobs/${bobs.job_id}`, test.adminToken)).body.username).to.equal('bob')
    })

    it('answers 403 "Job not found or not authorized" when cancelling a missing or another user\'s job', async () => {
      const bobs = await test.server.testing.insertJob({username: 'bob', status: 'pending'})
      for (const id of ['no-such-job', bobs.job_id]) {
        const response = await api.delete(`/api/jobs/${id}`, tokens.alice)
        expect(response.status).to.equal(403)
        expect(response.body).to.deep.equal({detail: 'Job not found or not authorized'})
      }

      expect((await api.get(`/api/jobs/${bobs.job_id}`, tokens.bob)).body.status).to.equal('pending')
    })

    it('answers 400 "Cannot cancel job in <status> status" for any status but pending and running', async () => {
      for (const status of [
        'completed',
        'failed',
        'cancelled',
        'completed_partial',
        'resolving_prerequisites',
        'paused_weird',
      ]) {
        const job = await test.server.testing.insertJob({username: 'alice', status})
        const response = await api.delete(`/api/jobs/${job.job_id}`, tokens.alice)
        expect(response.status).to.equal(400)
        expect(response.body).to.deep.equal({detail: `Cannot cancel job in ${status} status`})
      }
    })

    it("cancels a pending job at once (200) and lets an admin cancel anyone's", async () => {
      const own = await test.server.testing.insertJob({username: 'alice', status: 'pending'})
      const response = await api.delete(`/api/jobs/${own.job_id}`, tokens.alice)
      expect(response.status).to.equal(200)
      expect(response.body).to.deep.equal({success: true, message: 'Job cancelled successfully'})
      const after = await api.get(`/api/jobs/${own.job_id}`, tokens.alice)
      expect(after.body.status).to.equal('cancelled')
      expect(after.body.completed_at).to.match(PYTHON_ISO)
      const bobs = await test.server.testing.insertJob({username: 'bob', status: 'running'})
      expect((await api.delete(`/api/jobs/${bobs.job_id}`, test.adminToken)).status).to.equal(200)
      expect((await api.get(`/api/jobs/${bobs.job_id}`, tokens.bob)).body).to.include({
        status: 'cancelled',
        error: 'Job cancelled during execution',
      })
    })

    it('returns seeded shapes as they are: a failed job with error null and the reason in result', async () => {
      const seeded = await test.server.testing.insertJob({
        username: 'alice',
        status: 'failed',
        progress: 100,
        error: null,
        result: {success: false, error: 'disk full'},
        completed_at: '2026-01-02T03:04:05+00:00',
      })
      const response = await api.get(`/api/jobs/${seeded.job_id}`, tokens.alice)
      expect(response.body).to.include({
        status: 'failed',
        error: null,
        progress: 100,
        completed_at: '2026-01-02T03:04:05+00:00',
      })
      expect(response.body.result).to.deep.equal({success: false, error: 'disk full'})
    })
  })

  describe('error shapes', () => {
    it('answers unknown routes 404 {"detail": "Not Found"}', async () => {
      const response = await api.get('/api/nothing-here', tokens.alice)
      expect(response.status).to.equal(404)
      expect(response.body).to.deep.equal({detail: 'Not Found'})
    })

    it('answers a body that is not JSON with a 422 json_invalid envelope', async () => {
      const response = await api.request<ValidationErrorBody>('POST', '/api/keys', {
        token: tokens.alice,
        rawBody: '{"name": ',
      })
      expect(response.status).to.equal(422)
      expect(response.body.detail[0]).to.include({type: 'json_invalid'})
    })

    it('takes an empty JSON body as no body: fine where none is needed, "Field required" where one is', async () => {
      const noBodyNeeded = await api.request('POST', '/api/admin/golden-repos/unknown/refresh', {
        token: test.adminToken,
        rawBody: '',
      })
      expect(noBodyNeeded.status).to.equal(404)
      const bodyNeeded = await api.request('POST', '/api/keys', {token: tokens.alice, rawBody: ''})
      expect(bodyNeeded.status).to.equal(422)
      expect(bodyNeeded.body.detail).to.deep.equal([
        {loc: ['body'], msg: 'Field required', type: 'missing', input: null},
      ])
    })

    it('refuses a body above the size limit with 413', async () => {
      const response = await api.post('/api/keys', {name: 'x'.repeat(100_000)}, tokens.alice)
      expect(response.status).to.equal(413)
      expect(response.body.detail).to.be.a('string')
    })

    it('answers 503 with Retry-After when storage stays locked (after the 5 s busy timeout)', async () => {
      const locker = new Database(join(test.dataDir, 'server.sqlite'))
      locker.exec('BEGIN EXCLUSIVE')
      try {
        const response = await api.post('/api/keys', {name: 'blocked'}, tokens.alice)
        expect(response.status).to.equal(503)
        expect(response.headers.get('retry-after')).to.equal('1')
        expect(response.body).to.include({error: 'service_unavailable', retry_after: 1})
        expect(response.body).to.not.have.property('detail')
      } finally {
        locker.exec('ROLLBACK')
        locker.close()
      }
    })

    it('answers an unhandled failure 500 without detail or stack, with a correlation id', async () => {
      const job = await test.server.testing.insertJob({username: 'alice', status: 'completed'})
      sqliteOf(test.server).prepare('UPDATE jobs SET result = ? WHERE job_id = ?').run('{not json', job.job_id)
      const response = await api.get(`/api/jobs/${job.job_id}`, tokens.alice)
      expect(response.status).to.equal(500)
      expect(Object.keys(response.body)).to.have.members(['error', 'message', 'correlation_id', 'timestamp'])
      expect(response.body.error).to.equal('internal_server_error')
      expect(response.text).to.not.match(/at .*\.ts|SyntaxError|JSON/)
      sqliteOf(test.server).prepare('DELETE FROM jobs WHERE job_id = ?').run(job.job_id)
    })
  })
})
