import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {Api, type ValidationErrorBody, waitFor} from '../support/api.js'
import {startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'

function hoursAgo(hours: number): Date {
  return new Date(Date.now() - hours * 3_600_000)
}

describe('server: job cleanup and stats', () => {
  let test: TestServer
  let api: Api

  beforeEach(async () => {
    test = await startTestServer()
    api = test.api
  })

  afterEach(() => test.stop())

  async function seedAges(): Promise<Record<string, string>> {
    const {testing} = test.server
    const seed = async (status: string, hours: number, completed = true) =>
      (
        await testing.insertJob({
          username: 'alice',
          status,
          created_at: hoursAgo(hours + 1),
          completed_at: completed ? hoursAgo(hours) : null,
        })
      ).job_id
    return {
      completedOld: await seed('completed', 800),
      failedMiddle: await seed('failed', 100),
      cancelledUndatedOld: await seed('cancelled', 1000, false),
      runningAncient: (await testing.insertJob({username: 'alice', status: 'running', created_at: hoursAgo(2000)}))
        .job_id,
      weirdOld: (await testing.insertJob({username: 'alice', status: 'paused_weird', created_at: hoursAgo(2000)}))
        .job_id,
      partialRecent: await seed('completed_partial', 2),
      completedNew: await seed('completed', 0.25),
    }
  }

  async function remaining(ids: Record<string, string>): Promise<string[]> {
    const names: string[] = []
    for (const [name, id] of Object.entries(ids)) {
      if ((await api.get(`/api/jobs/${id}`, test.adminToken)).status === 200) names.push(name)
    }

    return names
  }

  it('deletes finished jobs older than 720 h by default, never active or unknown-status ones', async () => {
    const ids = await seedAges()
    const response = await api.delete('/api/admin/jobs/cleanup', test.adminToken)
    expect(response.status).to.equal(200)
    expect(response.body).to.deep.equal({cleaned_count: 2, message: 'Cleaned up 2 old jobs'})
    expect(await remaining(ids)).to.deep.equal([
      'failedMiddle',
      'runningAncient',
      'weirdOld',
      'partialRecent',
      'completedNew',
    ])
  })

  it('previews exactly what the cleanup would remove, removing nothing, and archives what it removes', async () => {
    const ids = await seedAges()
    const preview = await api.get<{newest: string; oldest: string}>(
      '/api/admin/jobs/cleanup/preview?max_age_hours=50',
      test.adminToken,
    )
    expect(preview.body).to.deep.include({
      max_age_hours: 50,
      count: 3,
      by_status: {cancelled: 1, completed: 1, failed: 1},
    })
    expect(Date.parse(preview.body.oldest)).to.be.closeTo(hoursAgo(1001).getTime(), 60_000)
    expect(Date.parse(preview.body.newest)).to.be.closeTo(hoursAgo(100).getTime(), 60_000)
    expect(await remaining(ids)).to.have.length(7)
    expect((await api.delete('/api/admin/jobs/cleanup?max_age_hours=50', test.adminToken)).body.cleaned_count).to.equal(
      3,
    )
    const archive = join(test.dataDir, 'archive', readdirSync(join(test.dataDir, 'archive'))[0])
    const archived = gunzipSync(readFileSync(archive))
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).job_id)
    expect(archived.sort()).to.deep.equal([ids.completedOld, ids.failedMiddle, ids.cancelledUndatedOld].sort())
    const empty = await api.get('/api/admin/jobs/cleanup/preview', test.adminToken)
    expect(empty.body).to.deep.equal({max_age_hours: 720, count: 0, by_status: {}, oldest: null, newest: null})
  })

  it('takes max_age_hours, clamped to 1..8760, and answers 422 for a non-integer', async () => {
    const ids = await seedAges()
    expect((await api.delete('/api/admin/jobs/cleanup?max_age_hours=50', test.adminToken)).body.cleaned_count).to.equal(
      3,
    )
    expect((await api.delete('/api/admin/jobs/cleanup?max_age_hours=0', test.adminToken)).body.cleaned_count).to.equal(
      1,
    )
    expect(await remaining(ids)).to.deep.equal(['runningAncient', 'weirdOld', 'completedNew'])
    const invalid = await api.delete<ValidationErrorBody>('/api/admin/jobs/cleanup?max_age_hours=soon', test.adminToken)
    expect(invalid.status).to.equal(422)
    expect(invalid.body.detail[0].loc).to.deep.equal(['query', 'max_age_hours'])
  })

  it('is for admins only, as are the stats, which count by status and by type', async () => {
    const {alice} = await usersWithTokens(test, 'alice')
    expect((await api.delete('/api/admin/jobs/cleanup', alice)).body).to.deep.equal({detail: 'Admin access required'})
    expect((await api.get('/api/admin/jobs/stats', alice)).status).to.equal(403)
    expect((await api.get('/api/admin/jobs/cleanup/preview', alice)).status).to.equal(403)
    await seedAges()
    const stats = (await api.get('/api/admin/jobs/stats', test.adminToken)).body
    expect(stats.total_jobs).to.equal(7)
    expect(stats.by_status).to.deep.equal({
      cancelled: 1,
      completed: 2,
      completed_partial: 1,
      failed: 1,
      paused_weird: 1,
      running: 1,
    })
    expect(stats.by_type).to.deep.equal({sync_repository: 7})
  })

  it('also runs periodically as a system job named data-retention-<hex>', async () => {
    await test.stop()
    test = await startTestServer({retentionHours: 1, cleanupIntervalMs: 100})
    api = test.api
    const old = await test.server.testing.insertJob({username: 'alice', status: 'completed', completed_at: hoursAgo(2)})
    const retention = await waitFor('a finished retention job', async () => {
      const {jobs} = (await api.get('/api/jobs?username=system&status=completed', test.adminToken)).body
      return jobs.find((job) => (job.result as {cleaned_count: number}).cleaned_count >= 1)
    })
    expect(retention.job_id).to.match(/^data-retention-[0-9a-f]{8}$/)
    expect(retention).to.include({operation_type: 'data_retention_cleanup', username: 'system'})
    expect((await api.get(`/api/jobs/${old.job_id}`, test.adminToken)).status).to.equal(404)
  })
})
