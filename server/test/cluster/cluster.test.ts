import {expect} from 'chai'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import type {ClusterWireJob} from '../../src/jobs/job-row.js'

import {addGolden, sourceRepo, startTestCluster, type TestCluster, waitForEnd} from '../support/cluster.js'

const JOBS = 200
/** Below the admin's cap of 50 active jobs (a 429 beyond it), which has no command-line flag. */
const WAVE = 40

describe('server: a cluster of three nodes on one PostgreSQL', function () {
  this.timeout(90_000)
  let test: TestCluster

  before(async function () {
    this.timeout(120_000)
    test = await startTestCluster({nodes: 3, workers: 4})
    await addGolden(test, test.apis[0], 'tiny', sourceRepo(test, 'tiny-source', 3))
  })

  after(async () => {
    await test?.stop()
  })

  /** Submits activations u<from>..u<to-1>, round robin over the nodes, and returns their job ids. */
  async function activateWave(from: number, to: number): Promise<string[]> {
    const answers = await Promise.all(
      Array.from({length: to - from}, (_, at) => {
        const n = from + at
        const api = test.apis[n % test.apis.length]
        return api.post('/api/repos/activate', {golden_repo_alias: 'tiny', user_alias: `u${n}`}, test.adminToken)
      }),
    )
    for (const answer of answers) expect(answer.status, answer.text).to.equal(202)
    return answers.map((answer) => answer.body.job_id as string)
  }

  it(`runs ${JOBS} jobs submitted round robin over the nodes exactly once each, spread over the nodes`, async () => {
    const started = Date.now()
    const jobIds: string[] = []
    for (let from = 0; from < JOBS; from += WAVE) {
      const wave = await activateWave(from, Math.min(JOBS, from + WAVE))
      // Each job is read back on a node other than the one it was submitted to.
      await Promise.all(
        wave.map((jobId, at) => waitForEnd(test.apis[(from + at + 1) % 3], test.adminToken, jobId, 60_000)),
      )
      jobIds.push(...wave)
    }

    const jobs = await Promise.all(
      jobIds.map(async (jobId) => (await test.apis[0].get<ClusterWireJob>(`/api/jobs/${jobId}`, test.adminToken)).body),
    )
    const names = test.cluster.nodes.map((node) => node.name)
    expect(
      jobs.filter((job) => job.status !== 'completed').map((job) => [job.job_id, job.status, job.error]),
    ).to.deep.equal([])
    expect(jobs.filter((job) => !names.includes(job.node ?? ''))).to.deep.equal([])
    const perNode = Object.fromEntries(names.map((name) => [name, jobs.filter((job) => job.node === name).length]))
    expect(Object.values(perNode).filter((count) => count > 0).length, JSON.stringify(perNode)).to.be.greaterThan(1)
    expect(new Set(jobIds).size).to.equal(JOBS)
    for (const job of jobs) expect(job.started_at, job.job_id).to.be.a('string')
    // Once each: a second run would have found its alias taken and failed; the list has each alias once.
    const listing = await test.apis[2].get('/api/repos', test.adminToken)
    const aliases = listing.body.repositories.map((repo) => repo.user_alias)
    expect(aliases).to.have.length(JOBS)
    expect(new Set(aliases).size).to.equal(JOBS)
    // On the shared disk too: one working copy per alias, and no half-made clone left in tmp/.
    expect(readdirSync(join(test.cluster.dataDir, 'activated', 'admin'))).to.have.length(JOBS)
    expect(readdirSync(join(test.cluster.dataDir, 'tmp'))).to.deep.equal([])
    console.log(`      ${JOBS} jobs in ${Date.now() - started} ms, per node ${JSON.stringify(perNode)}`)
  })

  it('answers one 202 and one 409 to two syncs of one repository sent at once to two nodes', async () => {
    // Several rounds: one round could pass by luck of timing; each pair goes to a different pair of nodes.
    for (let round = 0; round < 6; round++) {
      const [first, second] = [test.apis[round % 3], test.apis[(round + 1) % 3]]
      const body = {repository_alias: 'u0'}
      const answers = await Promise.all([
        first.post('/api/repos/sync', body, test.adminToken),
        second.post('/api/repos/sync', body, test.adminToken),
      ])
      const statuses = answers.map((answer) => answer.status).sort()
      expect(statuses, answers.map((answer) => answer.text).join('\n')).to.deep.equal([202, 409])
      const accepted = answers.find((answer) => answer.status === 202)
      const refused = answers.find((answer) => answer.status === 409)
      // The 409 names the job that holds the repository: the one the other node accepted.
      expect(refused?.body.detail).to.include(`(job_id: ${accepted?.body.job_id})`)
      const job = await waitForEnd(test.apis[2], test.adminToken, accepted?.body.job_id as string)
      expect(job.status, job.error ?? '').to.equal('completed')
    }
  })

  it("takes node A's access token on node C, and refuses on C a refresh token already rotated on B", async () => {
    const [a, b, c] = test.apis
    const login = await a.post('/auth/login', {username: 'admin', password: test.cluster.adminPassword})
    expect(login.status, login.text).to.equal(200)
    const {access_token: access, refresh_token: refresh} = login.body
    expect((await c.get('/api/jobs?limit=1', access)).status).to.equal(200)
    const rotated = await b.post('/api/auth/refresh', {refresh_token: refresh})
    expect(rotated.status, rotated.text).to.equal(200)
    expect((await c.get('/api/jobs?limit=1', rotated.body.access_token)).status).to.equal(200)
    const replay = await c.post('/api/auth/refresh', {refresh_token: refresh})
    expect(replay.status).to.equal(401)
    expect(replay.body.detail).to.equal('Token replay attack detected')
    // The replay revoked the whole family on every node: the newer refresh token and the access tokens too.
    expect((await a.post('/api/auth/refresh', {refresh_token: rotated.body.refresh_token})).status).to.equal(401)
    expect((await b.get('/api/jobs?limit=1', rotated.body.access_token)).status).to.equal(401)
    expect((await c.get('/api/jobs?limit=1', access)).status).to.equal(401)
  })
})
