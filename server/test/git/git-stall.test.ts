import {expect} from 'chai'
import {chmodSync, existsSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {Api, waitFor, waitForJobEnd} from '../support/api.js'
import {type ChildServer, runBuiltServer, startChildServer} from '../support/child-server.js'
import {createRepo, git, numberedFiles} from '../support/git-fixtures.js'
import {startHangingGitServer} from '../support/hanging-git-server.js'
import {isAlive, processesMentioning} from '../support/processes.js'
import {ADMIN_PASSWORD, startTestServer, tempRoot, type TestServer} from '../support/server-fixture.js'

const STALL_SECONDS = 1
/** Generous: the stall timeout, plus the kill grace of a git that ignores SIGTERM, plus slack. */
const FAIL_BOUND_MS = STALL_SECONDS * 1000 + 6000

describe('server: a git remote that never answers', () => {
  let test: TestServer
  let hanging: Awaited<ReturnType<typeof startHangingGitServer>>
  let source: string

  before(async () => {
    test = await startTestServer({workers: 1, gitStallTimeoutSeconds: STALL_SECONDS})
    hanging = await startHangingGitServer()
    source = join(test.root, 'source')
    createRepo(source, numberedFiles(5))
  })

  after(async () => {
    await hanging.close()
    await test.stop()
  })

  async function addGolden(alias: string, repoUrl: string): Promise<string> {
    const response = await test.api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, test.adminToken)
    expect(response.status, response.text).to.equal(202)
    return response.body.job_id as string
  }

  /** Submits a clone from `repoUrl` and, behind it in the one-worker queue, a good one; the stalled job must fail in time and the next one run. */
  async function expectStallFailsAndQueueMoves(
    alias: string,
    repoUrl: string,
    connected: () => boolean,
  ): Promise<void> {
    const started = Date.now()
    const stalled = await addGolden(alias, repoUrl)
    const next = await addGolden(`${alias}-next`, source)
    const pids = await waitFor('git to be connected', () => {
      const live = test.server.testing.childPids(stalled)
      return live.length > 0 && connected() ? live : undefined
    })
    const job = await waitForJobEnd(test.api, test.adminToken, stalled, FAIL_BOUND_MS)
    expect(Date.now() - started).to.be.below(FAIL_BOUND_MS)
    expect(job).to.include({
      status: 'failed',
      error: `git clone made no progress for ${STALL_SECONDS} s and was stopped`,
    })
    expect(test.server.testing.childPids(stalled)).to.deep.equal([])
    expect(pids.filter((pid) => isAlive(pid))).to.deep.equal([])
    expect(existsSync(join(test.dataDir, 'tmp', stalled)), 'the temporary clone').to.equal(false)
    expect((await waitForJobEnd(test.api, test.adminToken, next)).status).to.equal('completed')
  }

  it('fails a clone over http from a server that accepts and never answers, and the queue moves on', async () => {
    await expectStallFailsAndQueueMoves('http-silent', hanging.url, () => hanging.requests() > 0)
  })

  it('fails a clone whose transport (here a stand-in for ssh) goes silent, by the same output-silence rule', async () => {
    const fakeSsh = join(test.root, 'silent-ssh')
    writeFileSync(
      fakeSsh,
      '#!/bin/bash\n# Connects to nothing and never says anything, as a stuck ssh would.\nsleep 3600\n',
    )
    chmodSync(fakeSsh, 0o755)
    const previous = process.env.GIT_SSH_COMMAND
    process.env.GIT_SSH_COMMAND = fakeSsh
    try {
      await expectStallFailsAndQueueMoves(
        'ssh-silent',
        'git@127.0.0.1:never/answers.git',
        () => processesMentioning(fakeSsh).length > 0,
      )
    } finally {
      if (previous === undefined) delete process.env.GIT_SSH_COMMAND
      else process.env.GIT_SSH_COMMAND = previous
    }
  })

  it('fails a refresh whose fetch stalls, leaving the golden repository as it was', async () => {
    const jobId = await addGolden('refreshed', source)
    expect((await waitForJobEnd(test.api, test.adminToken, jobId)).status).to.equal('completed')
    const goldenDir = join(test.dataDir, 'golden', 'refreshed')
    const head = git(goldenDir, 'rev-parse', 'HEAD').trim()
    git(goldenDir, 'remote', 'set-url', 'origin', hanging.url)

    const refresh = await test.api.post('/api/admin/golden-repos/refreshed/refresh', {}, test.adminToken)
    expect(refresh.status, refresh.text).to.equal(202)
    const job = await waitForJobEnd(test.api, test.adminToken, refresh.body.job_id, FAIL_BOUND_MS)
    expect(job).to.include({
      status: 'failed',
      error: `git fetch made no progress for ${STALL_SECONDS} s and was stopped`,
    })
    expect(test.server.testing.childPids()).to.deep.equal([])
    expect(git(goldenDir, 'rev-parse', 'HEAD').trim()).to.equal(head)
    expect(readdirSync(join(test.dataDir, 'tmp'))).to.deep.equal([])
  })
})

describe('server: --git-stall-timeout', () => {
  it('sets the stall timeout of the server it starts', async () => {
    const root = tempRoot('stall-cli')
    const hanging = await startHangingGitServer()
    let server: ChildServer | undefined
    try {
      server = await startChildServer(['--data-dir', join(root, 'data'), '--git-stall-timeout', '1'], {
        CIDX_ADMIN_PASSWORD: ADMIN_PASSWORD,
      })
      const api = new Api(server.url)
      const token = await api.login('admin', ADMIN_PASSWORD)
      const added = await api.post('/api/admin/golden-repos', {repo_url: hanging.url, alias: 'stalls'}, token)
      const job = await waitForJobEnd(api, token, added.body.job_id, FAIL_BOUND_MS)
      expect(job).to.include({status: 'failed', error: 'git clone made no progress for 1 s and was stopped'})
      expect(processesMentioning(hanging.url)).to.deep.equal([])
    } finally {
      server?.child.kill('SIGKILL')
      await server?.exited
      await hanging.close()
      rmSync(root, {recursive: true, force: true})
    }
  })

  it('refuses a value that is not a whole number of seconds, in one line', async () => {
    const run = await runBuiltServer(['--git-stall-timeout', 'soon'])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.equal("--git-stall-timeout must be a non-negative integer, got 'soon'\n")
  })
})
