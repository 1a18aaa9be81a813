import type {ServerHandle} from '@cidx/local-server'

import {expect} from 'chai'
import {execFile, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {startLocalServer} from '../helpers/servers/local-server.js'
import {type LoopbackProxy, loopbackProxy, passThrough} from '../helpers/servers/loopback-proxy.js'

const ROOT = new URL('../..', import.meta.url).pathname
const RUN_JS = join(ROOT, 'bin', 'run.js')
const PARALLEL = 4

/**
 * A loopback proxy in front of the local server that holds every answer to POST /api/auth/refresh
 * for a while, so that CLI processes started together are all due to refresh at the same time.
 */
async function slowRefreshProxy(target: string, holdMs: number): Promise<LoopbackProxy & {refreshes: () => number}> {
  let refreshes = 0
  const proxy = await loopbackProxy(target, {
    relay(request, answer, response) {
      if (request.method !== 'POST' || request.url !== '/api/auth/refresh')
        return passThrough(request, answer, response)
      refreshes++
      setTimeout(() => passThrough(request, answer, response), holdMs)
    },
  })
  return {...proxy, refreshes: () => refreshes}
}

/** The built CLI (bin/run.js; `npm test` builds first) as a child process: exit code and output. */
function cidx(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{code: number; stderr: string; stdout: string}> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [RUN_JS, ...args], {env, cwd}, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error)
      else resolve({code: error ? Number(error.code) : 0, stdout, stderr})
    })
  })
}

describe('a login session shared by CLI processes that renew it at the same moment', function () {
  this.timeout(60_000)
  let server: ServerHandle
  let proxy: Awaited<ReturnType<typeof slowRefreshProxy>>
  let sandbox: Sandbox
  let base: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    expect(existsSync(join(ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
    sandbox = await createSandbox('cidx-refresh-race-')
    base = sandbox.base
    server = await startLocalServer({port: 0, dataDir: join(base, 'server'), adminPassword: 'admin-password-1'})
    await server.testing.insertJob({status: 'completed', username: 'admin'})
    proxy = await slowRefreshProxy(server.url, 400)
    // The config and cache dirs through the CLI's own variables, which a CI job would set.
    env = {...sandbox.env, CIDX_CONFIG_DIR: join(base, 'config'), CIDX_CACHE_DIR: join(base, 'cache')}
    const login = spawn(
      process.execPath,
      [RUN_JS, 'login', '--server', proxy.url, '--username', 'admin', '--password-stdin'],
      {env, cwd: base, stdio: ['pipe', 'ignore', 'inherit']},
    )
    login.stdin.end('admin-password-1')
    expect(
      await new Promise((resolve) => {
        login.on('close', resolve)
      }),
    ).to.equal(0)
  })

  after(async () => {
    await proxy?.close()
    await server?.close()
    await sandbox?.remove()
  })

  it('refreshes once: the others take the renewed tokens, and the session survives (no replay revokes it)', async () => {
    // The stored access token is due: every process will want to renew it with the one refresh token.
    const sessionPath = join(base, 'config', 'session.json')
    const session = JSON.parse(await readFile(sessionPath, 'utf8'))
    await writeFile(sessionPath, JSON.stringify({...session, accessTokenExpiresAt: 1}), {mode: 0o600})

    const runs = await Promise.all(Array.from({length: PARALLEL}, () => cidx(['jobs', 'list', '--json'], env, base)))
    for (const run of runs) {
      expect(run.stderr, 'no process was refused').to.equal('')
      expect(run.code).to.equal(0)
      expect(JSON.parse(run.stdout)).to.have.length(1)
    }

    expect(proxy.refreshes(), 'refresh requests').to.equal(1)
    const after = JSON.parse(await readFile(sessionPath, 'utf8'))
    expect(after.refreshToken).to.be.a('string').and.not.equal(session.refreshToken)
    expect((await cidx(['whoami', '--json'], env, base)).code, 'the session still works').to.equal(0)
  })
})
