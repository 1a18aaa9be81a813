import {expect} from 'chai'
import {createServer} from 'node:http'

import {writeSession} from '../../src/auth/session-store.js'
import {loopbackServers} from '../helpers/fixtures/client-fixtures.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {spawnCli, startWatchServer, type WatchServer} from '../helpers/servers/watch-harness.js'

/**
 * What a new user sees on stderr in the first five minutes, from the built CLI (`npm run build`)
 * as a child process: each error one sentence, its hint on the next line, the right exit code.
 */
describe('commands: the messages of the first five minutes (built CLI)', function () {
  this.timeout(60_000)
  let sandbox: Sandbox
  const {listen} = loopbackServers()

  beforeEach(async () => {
    sandbox = await createSandbox('cidx-first-')
  })

  afterEach(async () => {
    await sandbox.remove()
  })

  async function cidx(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{code: null | number; stderr: string}> {
    const run = spawnCli(args, {...sandbox.env, ...env}, 'bin/run.js')
    const {code} = await run.exit
    return {code, stderr: run.stderr()}
  }

  it('a mistyped command: the nearest one, exit 2', async () => {
    expect(await cidx(['jobs', 'lst'])).to.deep.equal({
      code: 2,
      stderr: 'Error: There is no command cidx jobs lst.\nDid you mean cidx jobs list?\n',
    })
  })

  it("oclif's reasons kept: a bad --limit, a missing job ID", async () => {
    expect(await cidx(['jobs', 'list', '--limit', '0'])).to.deep.equal({
      code: 2,
      stderr: 'Error: --limit must be an integer of at least 1 (got 0).\n',
    })
    expect(await cidx(['jobs', 'status'])).to.deep.equal({
      code: 2,
      stderr: 'Error: Missing the job ID: cidx jobs status JOB_ID.\nSee cidx jobs status --help for usage.\n',
    })
  })

  it('nothing configured: the message, then what to do', async () => {
    const {code, stderr} = await cidx(['jobs', 'list'])
    expect(code).to.equal(3)
    expect(stderr.split('\n')[0]).to.equal('Error: No CIDX server configured.')
    expect(stderr.split('\n')[1]).to.match(/^Run `cidx login --server URL`, or set CIDX_SERVER_URL/)
  })

  it('a URL with no CIDX API behind it (a 404, or another JSON): says so with the URL tried, exit 5', async () => {
    const address = await listen(
      createServer((request, response) => {
        const found = request.url?.startsWith('/other/')
        response.writeHead(found ? 200 : 404, {'content-type': 'application/json'})
        response.end(found ? '{"hello": "world"}' : '{"detail": "Not Found"}')
      }),
    )
    const hint =
      'Check --server / CIDX_SERVER_URL: it is the address the CIDX API answers at, e.g. http://localhost:8000.'
    const wrong = `http://${address}/wrongpath`
    expect(await cidx(['jobs', 'list'], {CIDX_SERVER_URL: wrong, CIDX_TOKEN: 'tok-secret-1234'})).to.deep.equal({
      code: 5,
      stderr: `Error: This is not a CIDX server API at ${wrong}: GET ${wrong}/api/jobs answered 404: Not Found.\n${hint}\n`,
    })
    expect(
      await cidx(['jobs', 'list'], {CIDX_SERVER_URL: wrong, CIDX_USERNAME: 'alice', CIDX_PASSWORD: 'pw-secret-1234'}),
    ).to.deep.equal({
      code: 5,
      stderr: `Error: This is not a CIDX server API at ${wrong}: POST ${wrong}/auth/login answered 404: Not Found.\n${hint}\n`,
    })
    const other = `http://${address}/other`
    expect(await cidx(['jobs', 'list'], {CIDX_SERVER_URL: other, CIDX_TOKEN: 'tok-secret-1234'})).to.deep.equal({
      code: 5,
      stderr: `Error: This is not a CIDX server API at ${other}: GET ${other}/api/jobs answered with no "jobs" list.\n${hint}\n`,
    })
  })

  it('https:// against plain HTTP: try http://, no OpenSSL internals', async () => {
    const address = await listen(createServer((_request, response) => response.end('{}')))
    expect(await cidx(['jobs', 'list'], {CIDX_SERVER_URL: `https://${address}`, CIDX_TOKEN: 'tok-1234'})).to.deep.equal(
      {
        code: 5,
        stderr: `Error: The server at https://${address} does not speak TLS on that port.\nTry http://${address} (with --server or CIDX_SERVER_URL), or the port where it serves HTTPS.\n`,
      },
    )
  })

  it('a mistyped --server while logged in elsewhere: names the server of the login', async () => {
    await writeSession(sandbox.configDir, {
      server: 'http://127.0.0.1:8090',
      username: 'alice',
      role: 'normal_user',
      accessToken: 'access-1234',
      accessTokenExpiresAt: null,
      refreshToken: null,
    })
    const {code, stderr} = await cidx(['jobs', 'list', '--server', 'http://127.0.0.1:8091'])
    expect(code).to.equal(3)
    expect(stderr.split('\n')[0]).to.equal(
      'Error: No credentials for http://127.0.0.1:8091; you are logged in to http://127.0.0.1:8090.',
    )
  })

  describe('against the local server', () => {
    let watch: WatchServer

    before(async () => {
      watch = await startWatchServer()
    })

    after(async () => {
      await watch.stop()
    })

    it('Ctrl-C while watching is no error: the message alone, exit 130, the job going on', async () => {
      const id = await watch.seed({status: 'running', progress: 30})
      const run = spawnCli(['jobs', 'watch', id], watch.childEnv(), 'bin/run.js')
      await run.line((text) => text.includes(id))
      run.child.kill('SIGINT')
      expect(await run.exit).to.deep.equal({code: 130, signal: null})
      expect(run.stderr()).to.equal('Stopped watching (the jobs keep running).\n')
      expect((await watch.job(id)).status).to.equal('running')
      await watch.update(id, {status: 'completed'})
    })
  })
})
