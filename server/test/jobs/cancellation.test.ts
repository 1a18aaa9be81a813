import {expect} from 'chai'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

import type {WireJob} from '../../src/jobs/job-row.js'

import {Api, waitFor, waitForJobEnd} from '../support/api.js'
import {commitFiles, createRepo, git, numberedFiles} from '../support/git-fixtures.js'
import {startHangingGitServer} from '../support/hanging-git-server.js'
import {isAlive} from '../support/processes.js'
import {sqliteOf, startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'

/** The requirement: a cancelled running job ends within 5 s (the target is 1 s). */
const CANCEL_BOUND_MS = 5000

describe('server: cancellation', () => {
  let test: TestServer
  let api: Api
  let sourceRepo: string

  before(async () => {
    test = await startTestServer({workers: 1, jobThrottleMs: 100})
    api = test.api
    sourceRepo = join(test.root, 'source')
    createRepo(sourceRepo, numberedFiles(80))
  })

  after(() => test.stop())

  async function leftovers(): Promise<{staging: string[]; tmp: string[]}> {
    return {
      tmp: readdirSync(join(test.dataDir, 'tmp')),
      staging: Object.keys(await test.server.testing.indexKeys()).filter((key) => key.startsWith('staging/')),
    }
  }

  async function startAdd(alias: string, repoUrl = sourceRepo): Promise<string> {
    const response = await api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, test.adminToken)
    expect(response.status, response.text).to.equal(202)
    return response.body.job_id as string
  }

  /** DELETE, then the time until the job is seen in a terminal state. */
  async function cancelAndWait(jobId: string): Promise<{elapsedMs: number; job: WireJob}> {
    const started = Date.now()
    const response = await api.delete(`/api/jobs/${jobId}`, test.adminToken)
    expect(response.status).to.equal(200)
    const job = await waitForJobEnd(api, test.adminToken, jobId, CANCEL_BOUND_MS)
    return {job, elapsedMs: Date.now() - started}
  }

  it('cancels a pending job at once, before it ever starts', async () => {
    const busy = await startAdd('busy')
    const queued = await startAdd('queued')
    expect((await api.get(`/api/jobs/${queued}`, test.adminToken)).body.status).to.equal('pending')
    expect((await api.delete(`/api/jobs/${queued}`, test.adminToken)).status).to.equal(200)
    const job = (await api.get(`/api/jobs/${queued}`, test.adminToken)).body
    expect(job).to.include({status: 'cancelled', started_at: null})
    expect(job.completed_at).to.be.a('string')
    await cancelAndWait(busy)
    expect(existsSync(join(test.dataDir, 'golden', 'queued'))).to.equal(false)
  })

  it('cancels a running clone: git and its helpers are killed, the partial clone removed, within 5 s', async () => {
    const hanging = await startHangingGitServer()
    try {
      const jobId = await startAdd('hanging', hanging.url)
      const pids = await waitFor('git to be connected', () => {
        const live = test.server.testing.childPids(jobId)
        return live.length > 0 && hanging.requests() > 0 ? live : undefined
      })
      const {job, elapsedMs} = await cancelAndWait(jobId)
      expect(elapsedMs).to.be.below(CANCEL_BOUND_MS)
      expect(job).to.include({status: 'cancelled', error: 'Job cancelled during execution'})
      expect(test.server.testing.childPids(jobId)).to.deep.equal([])
      expect(pids.filter((pid) => isAlive(pid))).to.deep.equal([])
      expect(await leftovers()).to.deep.equal({tmp: [], staging: []})
      expect(existsSync(join(test.dataDir, 'golden', 'hanging'))).to.equal(false)
    } finally {
      await hanging.close()
    }
  })

  it('cancels a running index: the staged batches are dropped and nothing is published', async () => {
    const jobId = await startAdd('indexing')
    await waitFor('the index phase', async () => {
      const job = (await api.get(`/api/jobs/${jobId}`, test.adminToken)).body
      return job.current_phase === 'index' && job.phase_detail !== null && !job.phase_detail.startsWith('0/')
        ? job
        : undefined
    })
    expect(Object.keys(await test.server.testing.indexKeys())).to.include(`staging/${jobId}`)
    const {job, elapsedMs} = await cancelAndWait(jobId)
    expect(elapsedMs).to.be.below(CANCEL_BOUND_MS)
    expect(job.status).to.equal('cancelled')
    expect(await leftovers()).to.deep.equal({tmp: [], staging: []})
    expect(existsSync(join(test.dataDir, 'golden', 'indexing'))).to.equal(false)
    const listing = await api.get('/api/admin/golden-repos', test.adminToken)
    expect(listing.body.golden_repositories.map((repo: {alias: string}) => repo.alias)).to.not.include('indexing')
  })

  it('cancels a running sync: the working copy goes back to where it was and its index is untouched', async () => {
    const {alice} = await usersWithTokens(test, 'alice')
    expect((await waitForJobEnd(api, test.adminToken, await startAdd('synced'))).status).to.equal('completed')
    const activation = await api.post('/api/repos/activate', {golden_repo_alias: 'synced'}, alice)
    expect((await waitForJobEnd(api, alice, activation.body.job_id)).status).to.equal('completed')
    const workingCopy = join(test.dataDir, 'activated', 'alice', 'synced')
    const before = git(workingCopy, 'rev-parse', 'HEAD').trim()
    commitFiles(sourceRepo, {'notes/fresh.txt': 'durian season\n'}, 'fresh notes')
    const refresh = await api.post('/api/admin/golden-repos/synced/refresh', {}, test.adminToken)
    expect((await waitForJobEnd(api, test.adminToken, refresh.body.job_id)).status).to.equal('completed')

    const sync = await api.post('/api/repos/sync', {repository_alias: 'synced'}, alice)
    await waitFor('the sync to index', async () =>
      (await api.get(`/api/jobs/${sync.body.job_id}`, alice)).body.current_phase === 'index' ? true : undefined,
    )
    expect(git(workingCopy, 'rev-parse', 'HEAD').trim()).to.not.equal(before)
    const {job} = await cancelAndWait(sync.body.job_id)
    expect(job.status).to.equal('cancelled')
    expect(git(workingCopy, 'rev-parse', 'HEAD').trim()).to.equal(before)
    expect(git(workingCopy, 'status', '--porcelain')).to.equal('')
    expect(await test.server.testing.searchIndex('user/alice/synced', 'durian')).to.deep.equal([])
    expect(await leftovers()).to.deep.equal({tmp: [], staging: []})
    const row = sqliteOf(test.server)
      .prepare("SELECT sync_base_head FROM activated_repos WHERE user_alias = 'synced'")
      .get() as {sync_base_head: null | string}
    expect(row.sync_base_head).to.equal(null)
  })

  it('cancels running jobs cleanly on close(): they end cancelled, not orphaned', async () => {
    const own = await startTestServer({jobThrottleMs: 100})
    const hanging = await startHangingGitServer()
    try {
      const response = await own.api.post(
        '/api/admin/golden-repos',
        {repo_url: hanging.url, alias: 'closing'},
        own.adminToken,
      )
      const jobId = response.body.job_id as string
      const pids = await waitFor('git', () => {
        const live = own.server.testing.childPids(jobId)
        return live.length > 0 ? live : undefined
      })
      await own.server.close()
      expect(pids.filter((pid) => isAlive(pid))).to.deep.equal([])
      const reopened = await startTestServer({dataDir: own.dataDir}, own.root)
      const job = (await reopened.api.get(`/api/jobs/${jobId}`, reopened.adminToken)).body
      expect(job).to.include({status: 'cancelled', error: 'Cancelled by server shutdown'})
      await reopened.stop()
    } finally {
      await hanging.close()
    }
  })
})
