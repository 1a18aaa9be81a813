import {expect} from 'chai'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import {Api, type ApiResponse, waitForJobEnd} from '../support/api.js'
import {createRepo, numberedFiles} from '../support/git-fixtures.js'
import {seedJobs, startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'

function expectAtCapacity(response: ApiResponse, username: string, active: number, limit: number): void {
  expect(response.status).to.equal(429)
  expect(response.headers.get('retry-after')).to.equal('10')
  expect(response.body).to.deep.equal({
    detail: `Server at capacity for user '${username}': ${active} jobs pending or running (limit ${limit}). Retry when one has finished.`,
    retry_after_seconds: 10,
  })
}

describe('server: bounds on the active jobs of one user', function () {
  this.timeout(60_000)
  let test: TestServer
  let api: Api
  let tokens: Record<string, string>

  before(async () => {
    // One worker and a slow indexer: every activation stays pending or running for seconds.
    test = await startTestServer({workers: 1, jobThrottleMs: 1000})
    api = test.api
    tokens = await usersWithTokens(test, 'alice', 'bob')
    const source = join(test.root, 'source')
    createRepo(source, numberedFiles(30))
    const added = await api.post('/api/admin/golden-repos', {repo_url: source, alias: 'shared'}, test.adminToken)
    expect((await waitForJobEnd(api, test.adminToken, added.body.job_id, 30_000)).status).to.equal('completed')
  })

  after(() => test.stop())

  it('starts 10 of 31 activations by a normal user; the others get 429 + Retry-After and leave nothing behind', async () => {
    const answers: ApiResponse[] = []
    for (let n = 0; n < 31; n++)
      answers.push(
        await api.post('/api/repos/activate', {golden_repo_alias: 'shared', user_alias: `copy-${n}`}, tokens.alice),
      )
    expect(answers.map((answer) => answer.status)).to.deep.equal([
      ...Array.from({length: 10}).fill(202),
      ...Array.from({length: 21}).fill(429),
    ])
    for (const refused of answers.slice(10)) expectAtCapacity(refused, 'alice', 10, 10)

    // The same activation in flight is still answered 200 with its job (the contract), limit or not.
    const again = await api.post(
      '/api/repos/activate',
      {golden_repo_alias: 'shared', user_alias: 'copy-0'},
      tokens.alice,
    )
    expect(again.status).to.equal(200)
    expect(again.body.job_id).to.equal(answers[0].body.job_id)
    // Another user has a bound of their own.
    expect(
      (await api.post('/api/repos/activate', {golden_repo_alias: 'shared', user_alias: 'copy-0'}, tokens.bob)).status,
    ).to.equal(202)

    expect(await test.server.testing.countJobs({username: 'alice'})).to.equal(10)
    expect((await api.get('/api/jobs?repository=copy-10', tokens.alice)).body.total).to.equal(0)
    for (const accepted of answers.slice(0, 10)) await api.delete(`/api/jobs/${accepted.body.job_id}`, tokens.alice)
    for (const accepted of answers.slice(0, 10)) await waitForJobEnd(api, tokens.alice, accepted.body.job_id)
    const aliceCopies = join(test.dataDir, 'activated', 'alice')
    for (let n = 10; n < 31; n++) expect(existsSync(join(aliceCopies, `copy-${n}`)), `copy-${n}`).to.equal(false)
    const bobsJob = (await api.get('/api/jobs', tokens.bob)).body.jobs[0]
    await api.delete(`/api/jobs/${bobsJob.job_id}`, tokens.bob)
    await waitForJobEnd(api, tokens.bob, bobsJob.job_id)
    expect(readdirSync(join(test.dataDir, 'tmp'))).to.deep.equal([])
  })

  it('counts every job-creating call (a sync too), and frees a slot when a job ends', async () => {
    const {testing} = test.server
    const seeded = await seedJobs(testing, 10, {username: 'alice', status: 'pending'})
    expectAtCapacity(
      await api.post('/api/repos/activate', {golden_repo_alias: 'shared', user_alias: 'one-more'}, tokens.alice),
      'alice',
      10,
      10,
    )
    await testing.updateJob(seeded[0], {status: 'completed'})
    const admitted = await api.post(
      '/api/repos/activate',
      {golden_repo_alias: 'shared', user_alias: 'one-more'},
      tokens.alice,
    )
    expect(admitted.status).to.equal(202)
    await waitForJobEnd(api, tokens.alice, admitted.body.job_id, 30_000)
    await testing.insertJob({username: 'alice', status: 'running'})
    expectAtCapacity(await api.post('/api/repos/sync', {repository_alias: 'one-more'}, tokens.alice), 'alice', 10, 10)
    for (const id of seeded) await testing.updateJob(id, {status: 'cancelled'})
  })

  it('bounds admins too, by a larger limit (50)', async () => {
    const {testing} = test.server
    const seeded = await seedJobs(testing, 50, {username: 'admin', status: 'running'})
    expectAtCapacity(await api.post('/api/admin/golden-repos/shared/refresh', {}, test.adminToken), 'admin', 50, 50)
    for (const id of seeded) await testing.updateJob(id, {status: 'failed'})
  })
})
