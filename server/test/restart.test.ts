import {expect} from 'chai'
import {existsSync, mkdirSync, readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {Api, waitFor, waitForJobEnd} from './support/api.js'
import {startChildServer} from './support/child-server.js'
import {commitFiles, createRepo, git, numberedFiles} from './support/git-fixtures.js'
import {startHangingGitServer} from './support/hanging-git-server.js'
import {processesMentioning} from './support/processes.js'
import {ADMIN_PASSWORD, sqliteOf, startTestServer, tempRoot} from './support/server-fixture.js'

describe('server: restart after a crash', () => {
  it('fails jobs left pending or running with "Orphaned by server restart" and removes their partial work', async () => {
    const root = tempRoot('restart')
    const dataDir = join(root, 'data')
    const source = join(root, 'source')
    createRepo(source, numberedFiles(100))
    const hanging = await startHangingGitServer()
    const crashed = await startChildServer(['--data-dir', dataDir, '--workers', '2', '--job-throttle-ms', '200'], {
      CIDX_ADMIN_PASSWORD: ADMIN_PASSWORD,
    })
    try {
      const api = new Api(crashed.url)
      const token = await api.login('admin', ADMIN_PASSWORD)
      const add = async (alias: string, repoUrl: string) =>
        (await api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, token)).body.job_id as string
      const indexing = await add('indexing', source)
      const cloning = await add('cloning', hanging.url)
      const waiting = await add('waiting', source)
      await waitFor('the index phase', async () =>
        (await api.get(`/api/jobs/${indexing}`, token)).body.current_phase === 'index' ? true : undefined,
      )
      const gitPids = await waitFor('git to be connected', () => {
        const pids = processesMentioning(hanging.url)
        return pids.length > 0 && hanging.requests() > 0 ? pids : undefined
      })
      expect(readdirSync(join(dataDir, 'tmp'))).to.have.length(2)

      crashed.child.kill('SIGKILL')
      await crashed.exited
      expect(processesMentioning(hanging.url), 'git outlives a killed server').to.not.deep.equal([])

      const restarted = await startTestServer({dataDir}, root)
      try {
        for (const jobId of [indexing, cloning, waiting]) {
          const job = (await restarted.api.get(`/api/jobs/${jobId}`, restarted.adminToken)).body
          expect(job, jobId).to.include({status: 'failed', error: 'Orphaned by server restart'})
          expect(job.completed_at).to.be.a('string')
        }

        await waitFor(
          'the surviving git to be stopped',
          () => (gitPids.some((pid) => processesMentioning(hanging.url).includes(pid)) ? undefined : true),
          3000,
        )
        expect(readdirSync(join(dataDir, 'tmp'))).to.deep.equal([])
        expect(Object.keys(await restarted.server.testing.indexKeys())).to.deep.equal([])
        expect(existsSync(join(dataDir, 'golden', 'indexing'))).to.equal(false)
        const health = (await restarted.api.get('/health')).body
        expect(health.jobs).to.include({pending: 0, running: 0})
      } finally {
        await restarted.stop()
      }
    } finally {
      crashed.child.kill('SIGKILL')
      await hanging.close()
    }
  })
})

describe('server: restart repairs half-done repository work', () => {
  it('resets a working copy caught between merge and commit, and removes unrecorded copies', async () => {
    const first = await startTestServer()
    const source = join(first.root, 'source')
    const before = createRepo(source, numberedFiles(3))
    const added = await first.api.post('/api/admin/golden-repos', {repo_url: source, alias: 'golden'}, first.adminToken)
    expect((await waitForJobEnd(first.api, first.adminToken, added.body.job_id)).status).to.equal('completed')
    const goldenDir = join(first.dataDir, 'golden', 'golden')
    commitFiles(source, {'later.txt': 'later\n'}, 'later')
    git(goldenDir, 'pull', '--quiet', '--ff-only')
    // What a crash in the middle of a sync leaves: the copy moved on, the start commit recorded.
    sqliteOf(first.server).prepare('UPDATE golden_repos SET sync_base_head = ? WHERE alias = ?').run(before, 'golden')
    await first.server.close()
    mkdirSync(join(first.dataDir, 'golden', 'never-recorded'))
    mkdirSync(join(first.dataDir, 'activated', 'alice', 'half-made'), {recursive: true})

    const restarted = await startTestServer({dataDir: first.dataDir}, first.root)
    try {
      expect(git(goldenDir, 'rev-parse', 'HEAD').trim()).to.equal(before)
      const row = sqliteOf(restarted.server)
        .prepare('SELECT sync_base_head FROM golden_repos WHERE alias = ?')
        .get('golden') as {sync_base_head: null | string}
      expect(row.sync_base_head).to.equal(null)
      expect(existsSync(join(first.dataDir, 'golden', 'never-recorded'))).to.equal(false)
      expect(existsSync(join(first.dataDir, 'activated', 'alice', 'half-made'))).to.equal(false)
      expect(existsSync(goldenDir)).to.equal(true)
    } finally {
      await restarted.stop()
    }
  })
})

describe('server: command line', () => {
  it('prints the URL, and the generated admin password on the first start only', async () => {
    const root = tempRoot('cli')
    const dataDir = join(root, 'data')
    try {
      const first = await startChildServer(['--data-dir', dataDir])
      const password = /password: (\S+)/.exec(first.output())?.[1]
      expect(password).to.be.a('string')
      const api = new Api(first.url)
      expect((await api.post('/auth/login', {username: 'admin', password})).status).to.equal(200)
      first.child.kill('SIGTERM')
      expect(await first.exited).to.equal(0)

      const second = await startChildServer(['--data-dir', dataDir])
      expect(second.output()).to.match(/listening on http:\/\/127\.0\.0\.1:\d+/)
      expect(second.output()).to.not.include('password')
      second.child.kill('SIGTERM')
      expect(await second.exited).to.equal(0)
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})
