import {expect} from 'chai'
import {existsSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {WireJob} from '../../src/jobs/job-row.js'

import {Api, type ValidationErrorBody, waitFor, waitForJobEnd} from '../support/api.js'
import {commitFiles, createRepo, numberedFiles} from '../support/git-fixtures.js'
import {startHangingGitServer} from '../support/hanging-git-server.js'
import {startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'

describe('server: repository jobs (real git)', () => {
  let test: TestServer
  let api: Api
  let tokens: Record<string, string>
  let sourceRepo: string

  before(async () => {
    test = await startTestServer({jobThrottleMs: 20})
    api = test.api
    tokens = await usersWithTokens(test, 'alice', 'bob')
    sourceRepo = join(test.root, 'source')
    createRepo(sourceRepo, {
      ...numberedFiles(60),
      'README.md': '# Demo\nThe kiwi project.\n',
      'assets/logo.bin': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]),
      'data/huge.txt': 'x'.repeat(1024 * 1024 + 1),
    })
  })

  after(() => test.stop())

  async function addGolden(alias: string, repoUrl = sourceRepo): Promise<WireJob> {
    const response = await api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, test.adminToken)
    expect(response.status, response.text).to.equal(202)
    return waitForJobEnd(api, test.adminToken, response.body.job_id)
  }

  function tmpLeftovers(): string[] {
    return readdirSync(join(test.dataDir, 'tmp'))
  }

  describe('add golden repository', () => {
    it('clones a local path, indexes its text files (skipping binaries and huge files) and publishes it', async () => {
      const response = await api.post(
        '/api/admin/golden-repos',
        {repo_url: sourceRepo, alias: 'demo', description: 'the demo'},
        test.adminToken,
      )
      expect(response.status).to.equal(202)
      expect(response.body).to.deep.equal({
        job_id: response.body.job_id,
        message: "Golden repository 'demo' addition started",
      })
      const job = await waitForJobEnd(api, test.adminToken, response.body.job_id)
      expect(job).to.include({
        status: 'completed',
        progress: 100,
        operation_type: 'add_golden_repo',
        username: 'admin',
        error: null,
      })
      expect(job.result).to.include({alias: 'demo', success: true, files_indexed: 61, files_skipped: 2, branch: 'main'})
      expect(existsSync(join(test.dataDir, 'golden', 'demo', 'README.md'))).to.equal(true)
      expect(await test.server.testing.searchIndex('golden/demo', 'kiwi')).to.deep.equal(['README.md'])
      const listing = await api.get('/api/admin/golden-repos', test.adminToken)
      expect(listing.body.golden_repositories.map((repo: {alias: string}) => repo.alias)).to.include('demo')
      expect(tmpLeftovers()).to.deep.equal([])
    })

    it('clones a file:// URL too', async () => {
      const job = await addGolden('via-url', pathToFileURL(sourceRepo).href)
      expect(job.status).to.equal('completed')
      expect((await test.server.testing.searchIndex('golden/via-url', 'apple')).length).to.be.above(0)
    })

    it('shows real progress while it runs: running from 10 %, phase index, "n/N files indexed"', async () => {
      const response = await api.post(
        '/api/admin/golden-repos',
        {repo_url: sourceRepo, alias: 'watched'},
        test.adminToken,
      )
      const seen = await waitFor('index progress', async () => {
        const job = (await api.get(`/api/jobs/${response.body.job_id}`, test.adminToken)).body
        return job.current_phase === 'index' && /^[1-9]\d*\/63 files indexed$/.test(job.phase_detail ?? '')
          ? job
          : undefined
      })
      expect(seen.status).to.equal('running')
      expect(seen.progress).to.be.within(30, 95)
      expect(seen.started_at).to.be.a('string')
      await waitForJobEnd(api, test.adminToken, response.body.job_id)
    })

    it('answers 409 for a second addition in flight, then 409 "already exists" once added', async () => {
      const first = await api.post('/api/admin/golden-repos', {repo_url: sourceRepo, alias: 'twice'}, test.adminToken)
      const second = await api.post('/api/admin/golden-repos', {repo_url: sourceRepo, alias: 'twice'}, test.adminToken)
      expect(second.status).to.equal(409)
      expect(second.body).to.deep.equal({
        detail: `A 'add_golden_repo' job is already running for repository 'twice' (job_id: ${first.body.job_id}). Please wait for it to complete.`,
      })
      await waitForJobEnd(api, test.adminToken, first.body.job_id)
      const third = await api.post('/api/admin/golden-repos', {repo_url: sourceRepo, alias: 'twice'}, test.adminToken)
      expect(third.status).to.equal(409)
      expect(third.body).to.deep.equal({detail: "Golden repository 'twice' already exists"})
    })

    it('fails a clone git refuses, with the reason in error and result, leaving nothing behind', async () => {
      const job = await addGolden('missing', join(test.root, 'no-such-repo'))
      expect(job.status).to.equal('failed')
      expect(job.error).to.match(/does not exist|not a git repository|Could not read/i)
      expect(job.result).to.include({alias: 'missing', success: false, error: job.error})
      expect(existsSync(join(test.dataDir, 'golden', 'missing'))).to.equal(false)
      expect(tmpLeftovers()).to.deep.equal([])
      expect(
        Object.keys(await test.server.testing.indexKeys()).filter((key) => key.startsWith('staging/')),
      ).to.deep.equal([])
    })

    it('never shows credentials of a repository URL, in the userinfo (even with an @) or the query', async () => {
      const job = await addGolden(
        'secretive',
        'http://user:hun@ter2@127.0.0.1:9/repo.git?token=tok-SECRET&access_token=at-SECRET',
      )
      expect(job.status).to.equal('failed')
      expect(JSON.stringify(job)).to.not.match(/hun|ter2|SECRET/)
      expect(job.error).to.include('127.0.0.1:9')
    })

    it('never shows them in phase_detail while the clone runs', async () => {
      const hanging = await startHangingGitServer()
      try {
        const url = hanging.url.replace('http://', 'http://user:hun@ter2@') + '?password=pw-SECRET'
        const response = await api.post(
          '/api/admin/golden-repos',
          {repo_url: url, alias: 'secretive-running'},
          test.adminToken,
        )
        const running = await waitFor('the clone to run', async () => {
          const job = (await api.get(`/api/jobs/${response.body.job_id}`, test.adminToken)).body
          return job.current_phase === 'clone' ? job : undefined
        })
        expect(running.phase_detail).to.match(
          /^Cloning http:\/\/\*\*\*@127\.0\.0\.1:\d+\/never\/answers\.git\?password=\*\*\*$/,
        )
        await api.delete(`/api/jobs/${response.body.job_id}`, test.adminToken)
        expect(JSON.stringify(await waitForJobEnd(api, test.adminToken, response.body.job_id))).to.not.match(
          /hun|ter2|SECRET/,
        )
      } finally {
        await hanging.close()
      }
    })

    it('answers 422 for unsafe aliases, URLs and branches, and 403 for non-admins', async () => {
      const bad = [
        {repo_url: sourceRepo, alias: '../escape'},
        {repo_url: sourceRepo, alias: '/absolute'},
        {repo_url: sourceRepo, alias: 'a'.repeat(101)},
        {repo_url: '--upload-pack=touch /tmp/pwned', alias: 'opt'},
        {repo_url: 'relative/path', alias: 'rel'},
        {repo_url: 'ftp://example.com/x.git', alias: 'ftp'},
        {repo_url: sourceRepo, alias: 'branchy', default_branch: '--orphan'},
        {repo_url: sourceRepo, alias: 'branchy', default_branch: 'a/../../b'},
      ]
      for (const body of bad) {
        const response = await api.post<ValidationErrorBody>('/api/admin/golden-repos', body, test.adminToken)
        expect(response.status, JSON.stringify(body)).to.equal(422)
        expect(response.body.detail[0].type).to.equal('value_error')
      }

      const missing = await api.post<ValidationErrorBody>('/api/admin/golden-repos', {alias: 'x'}, test.adminToken)
      expect(missing.body.detail[0]).to.include({type: 'missing', msg: 'Field required'})
      expect(missing.body.detail[0].loc).to.deep.equal(['body', 'repo_url'])
      const forbidden = await api.post('/api/admin/golden-repos', {repo_url: sourceRepo, alias: 'mine'}, tokens.alice)
      expect(forbidden.status).to.equal(403)
    })
  })

  describe('refresh, activate, sync, deactivate, remove', () => {
    before(async () => {
      await addGolden('shared')
    })

    it('refreshes a golden repository from its origin and re-indexes only what changed', async () => {
      commitFiles(sourceRepo, {'docs/new.md': 'banana bread recipe\n'}, 'add docs')
      const response = await api.post('/api/admin/golden-repos/shared/refresh', {}, test.adminToken)
      expect(response.status).to.equal(202)
      expect(response.body.message).to.equal("Golden repository 'shared' refresh started")
      const job = await waitForJobEnd(api, test.adminToken, response.body.job_id)
      expect(job).to.include({status: 'completed', operation_type: 'global_repo_refresh'})
      expect(job.result).to.include({files_changed: 1, files_removed: 0, files_indexed: 62})
      expect(await test.server.testing.searchIndex('golden/shared', 'banana')).to.deep.equal(['docs/new.md'])
      expect((await api.post('/api/admin/golden-repos/nope/refresh', {}, test.adminToken)).body).to.deep.equal({
        detail: "Golden repository 'nope' not found",
      })
    })

    it('activates a per-user working copy: 202, then 200 with the job in flight, then 200 with job_id ""', async () => {
      const first = await api.post(
        '/api/repos/activate',
        {golden_repo_alias: 'shared', user_alias: 'mine'},
        tokens.alice,
      )
      expect(first.status).to.equal(202)
      const again = await api.post(
        '/api/repos/activate',
        {golden_repo_alias: 'shared', user_alias: 'mine'},
        tokens.alice,
      )
      expect(again.status).to.equal(200)
      expect(again.body.job_id).to.equal(first.body.job_id)
      const job = await waitForJobEnd(api, tokens.alice, first.body.job_id)
      expect(job).to.include({status: 'completed', operation_type: 'activate_repository', username: 'alice'})
      expect(job.result?.alias).to.equal('mine')
      const done = await api.post(
        '/api/repos/activate',
        {golden_repo_alias: 'shared', user_alias: 'mine'},
        tokens.alice,
      )
      expect(done.status).to.equal(200)
      expect(done.body.job_id).to.equal('')
      expect(existsSync(join(test.dataDir, 'activated', 'alice', 'mine', 'docs', 'new.md'))).to.equal(true)
      const repos = await api.get('/api/repos', tokens.alice)
      expect(repos.body.repositories.map((repo: {user_alias: string}) => repo.user_alias)).to.deep.equal(['mine'])
      expect((await api.get('/api/repos', tokens.bob)).body.repositories).to.deep.equal([])
      expect((await api.post('/api/repos/activate', {golden_repo_alias: 'ghost'}, tokens.alice)).status).to.equal(404)
    })

    it('syncs a working copy after the golden repository moved on', async () => {
      commitFiles(sourceRepo, {'docs/more.md': 'cherry pie\n'}, 'more docs')
      await waitForJobEnd(
        api,
        test.adminToken,
        (await api.post('/api/admin/golden-repos/shared/refresh', {}, test.adminToken)).body.job_id,
      )
      const response = await api.post('/api/repos/sync', {repository_alias: 'mine'}, tokens.alice)
      expect(response.status).to.equal(202)
      expect(response.body).to.include({status: 'queued', repository_id: 'mine', estimated_completion: null})
      expect(response.body.progress).to.deep.equal({
        percentage: 0,
        files_processed: 0,
        files_total: 0,
        current_file: null,
      })
      expect(response.body.options).to.deep.equal({force: false, full_reindex: false, incremental: true})
      const duplicate = await api.post('/api/repos/sync', {repository_alias: 'mine'}, tokens.alice)
      expect(duplicate.status).to.equal(409)
      expect(duplicate.body.detail).to.equal(
        `A 'sync_repository' job is already running for repository 'mine' (job_id: ${response.body.job_id}). Please wait for it to complete.`,
      )
      const job = await waitForJobEnd(api, tokens.alice, response.body.job_id)
      expect(job.result).to.include({success: true, files_changed: 1})
      expect(await test.server.testing.searchIndex('user/alice/mine', 'cherry')).to.deep.equal(['docs/more.md'])
      expect((await api.post('/api/repos/sync', {repository_alias: 'mine'}, tokens.bob)).status).to.equal(404)
    })

    it('deactivates: the working copy and its index go', async () => {
      const response = await api.delete('/api/repos/mine', tokens.alice)
      expect(response.status).to.equal(202)
      expect(response.body.message).to.equal("Repository 'mine' deactivation started")
      const job = await waitForJobEnd(api, tokens.alice, response.body.job_id)
      expect(job).to.include({status: 'completed', operation_type: 'deactivate_repository'})
      expect(existsSync(join(test.dataDir, 'activated', 'alice', 'mine'))).to.equal(false)
      expect(await test.server.testing.indexKeys()).to.not.have.property('user/alice/mine')
      const again = await api.delete('/api/repos/mine', tokens.alice)
      expect(again.status).to.equal(404)
      expect(again.body).to.deep.equal({detail: "Repository 'mine' not found"})
    })

    it('removes a golden repository: 204 with an empty body, the removal runs as a job', async () => {
      const response = await api.delete('/api/admin/golden-repos/shared', test.adminToken)
      expect(response.status).to.equal(204)
      expect(response.text).to.equal('')
      const removal = await waitFor('removal job', async () => {
        const {jobs} = (await api.get('/api/jobs?operation_type=remove_golden_repo&repository=shared', test.adminToken))
          .body
        return jobs[0]?.status === 'completed' ? jobs[0] : undefined
      })
      expect(removal.result).to.include({alias: 'shared', success: true})
      expect(existsSync(join(test.dataDir, 'golden', 'shared'))).to.equal(false)
      expect(await test.server.testing.indexKeys()).to.not.have.property('golden/shared')
      expect((await api.delete('/api/admin/golden-repos/shared', test.adminToken)).status).to.equal(404)
    })
  })
})
