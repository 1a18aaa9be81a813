import {expect} from 'chai'
import {readdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {DataDirLockedError, startServer} from '../../src/index.js'
import {Api, waitFor} from '../support/api.js'
import {type ChildServer, runBuiltServer, startChildServer} from '../support/child-server.js'
import {startHangingGitServer} from '../support/hanging-git-server.js'
import {processesMentioning} from '../support/processes.js'
import {ADMIN_PASSWORD, startTestServer, tempRoot} from '../support/server-fixture.js'

describe('server: one server per data dir', () => {
  const children: ChildServer[] = []
  const cleanups: (() => Promise<void> | void)[] = []

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.child.exitCode === null) child.child.kill('SIGKILL')
      await child.exited
    }

    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  function tempDataDir(prefix: string): string {
    const root = tempRoot(prefix)
    cleanups.push(() => rmSync(root, {recursive: true, force: true}))
    return join(root, 'data')
  }

  async function startChild(dataDir: string): Promise<ChildServer> {
    const child = await startChildServer(['--data-dir', dataDir], {CIDX_ADMIN_PASSWORD: ADMIN_PASSWORD})
    children.push(child)
    return child
  }

  it('refuses a second instance: it exits non-zero with one line naming the data dir and the pid, and the running clone is untouched', async () => {
    const dataDir = tempDataDir('lock')
    const hanging = await startHangingGitServer()
    cleanups.push(() => hanging.close())
    const first = await startChild(dataDir)
    const api = new Api(first.url)
    const token = await api.login('admin', ADMIN_PASSWORD)
    const added = await api.post('/api/admin/golden-repos', {repo_url: hanging.url, alias: 'cloning'}, token)
    const jobId = added.body.job_id as string
    const gitPids = await waitFor('git to be connected', () => {
      const pids = processesMentioning(hanging.url)
      return pids.length > 0 && hanging.requests() > 0 ? pids : undefined
    })
    expect(readdirSync(join(dataDir, 'tmp'))).to.deep.equal([jobId])

    const second = await runBuiltServer(['--port', '0', '--data-dir', dataDir])
    expect(second.code).to.equal(1)
    expect(second.stdout).to.equal('')
    expect(second.stderr).to.equal(
      `Data dir ${dataDir} is in use by another CIDX local server (pid ${first.child.pid})\n`,
    )

    expect(readdirSync(join(dataDir, 'tmp')), "the first server's temporary clone").to.deep.equal([jobId])
    expect(gitPids.filter((pid) => processesMentioning(hanging.url).includes(pid))).to.deep.equal(gitPids)
    expect((await api.get(`/api/jobs/${jobId}`, token)).body.status).to.equal('running')
  })

  it('takes over the lock of a server killed with SIGKILL', async () => {
    const dataDir = tempDataDir('lock-killed')
    const killed = await startChild(dataDir)
    killed.child.kill('SIGKILL')
    await killed.exited
    const next = await startChild(dataDir)
    expect(
      (await new Api(next.url).post('/auth/login', {username: 'admin', password: ADMIN_PASSWORD})).status,
    ).to.equal(200)
    next.child.kill('SIGTERM')
    expect(await next.exited).to.equal(0)
  })

  it('makes startServer() reject with DataDirLockedError while the data dir is held, and start once it is released', async () => {
    const first = await startTestServer()
    cleanups.push(() => first.stop())
    const error = await startServer({port: 0, dataDir: first.dataDir}).then(
      () => expect.fail('a second server started on the same data dir'),
      (error_: unknown) => error_,
    )
    expect(error).to.be.instanceOf(DataDirLockedError)
    expect(error).to.include({dataDir: first.dataDir, holderPid: process.pid})
    expect((await first.api.get('/health')).body.status, 'the first server').to.equal('healthy')

    await first.server.close()
    const again = await startServer({port: 0, dataDir: first.dataDir})
    await again.close()
  })
})
