import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {type HostileServer, startHostileServer} from '../helpers/servers/hostile-server.js'
import {ROOT} from './support.js'

const RUN_JS = join(ROOT, 'bin', 'run.js')
const JOB_ID = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
const PASSWORD = 'hostile-test-password'
const MiB = 1024 * 1024

interface CliRun {
  code: null | number
  elapsedMs: number
  stderr: string
  stdout: string
}

/**
 * The built CLI as a child process, with `input` on stdin; killed after `killAfterMs` (then
 * `code` is null), so a CLI that hangs fails its test instead of the whole run.
 */
function cidx(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: {input?: string; killAfterMs?: number} = {},
): Promise<CliRun> {
  const childEnv = {...env}
  delete childEnv.NODE_V8_COVERAGE
  const started = Date.now()
  const child = spawn(process.execPath, [RUN_JS, ...args], {
    env: childEnv,
    cwd: env.HOME,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  child.stdin.end(options.input ?? '')
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(killer)
      resolve({code, stdout, stderr, elapsedMs: Date.now() - started})
    })
  })
}

describe('ecosystem: the CLI against a hostile server', function () {
  this.timeout(60_000)
  let hostile: HostileServer
  let home: Sandbox

  before(async () => {
    expect(existsSync(join(ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
    hostile = await startHostileServer()
    home = await createSandbox('cidx-hostile-', {NO_COLOR: '1'})
  })

  after(async () => {
    await hostile?.close()
    if (home) await rm(home.base, {recursive: true, force: true})
  })

  /** The environment of a user pointed at one route of the hostile server with an API key. */
  function at(route: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {...home.env, CIDX_SERVER_URL: `${hostile.url}/${route}`, CIDX_TOKEN: 'cidx_sk_hostiletestkey', ...extra}
  }

  describe('a redirect to another origin', () => {
    it('login refuses to send the password there (exit 5, both URLs named) and stores nothing', async () => {
      const run = await cidx(
        ['login', '--server', `${hostile.url}/redirect-away`, '--username', 'alice', '--password-stdin'],
        home.env,
        {input: PASSWORD},
      )
      expect(hostile.elsewhere.requests, 'requests that reached the other host').to.deep.equal([])
      expect(run.code, run.stderr).to.equal(5)
      expect(run.stdout).not.to.include('Logged in')
      // The message, then the hint on a line of its own.
      expect(run.stderr.trim().split('\n')).to.have.length(2)
      expect(run.stderr)
        .to.include(`${hostile.url}/redirect-away/auth/login`)
        .and.include(`${hostile.elsewhere.url}/auth/login`)
      expect(run.stderr).not.to.include(PASSWORD)
      expect(existsSync(join(home.configDir, 'session.json')), 'a session was stored').to.equal(false)
    })

    it('a jobs command logging in with CIDX_USERNAME / CIDX_PASSWORD refuses it too', async () => {
      const env = {...at('redirect-away'), CIDX_TOKEN: undefined, CIDX_USERNAME: 'alice', CIDX_PASSWORD: PASSWORD}
      const run = await cidx(['jobs', 'list', '-q'], env)
      expect(hostile.elsewhere.requests, 'requests that reached the other host').to.deep.equal([])
      expect(run.code, run.stderr).to.equal(5)
      expect(run.stderr).to.match(/redirected POST .*\/auth\/login to .*another origin/)
    })
  })

  describe('slow answers', () => {
    it('a body dripped a byte at a time gives up within the request timeout (2 s → done in < 8 s)', async () => {
      const run = await cidx(['jobs', 'list', '-q'], at('drip', {CIDX_REQUEST_TIMEOUT: '2'}), {killAfterMs: 20_000})
      expect(run.code, `exit code after ${run.elapsedMs} ms: ${run.stderr}`).to.equal(5)
      expect(run.elapsedMs).to.be.below(8000)
      expect(run.stderr).to.match(/the answer \(HTTP 200\) was still arriving after 2 s/)
    })

    it('a server that never sends headers: one wait of the request timeout, no retry that cannot fit (3 s → done in < 6 s)', async () => {
      const before = hostile.requests.length
      const run = await cidx(['jobs', 'list', '-q'], at('silent', {CIDX_REQUEST_TIMEOUT: '3'}), {killAfterMs: 20_000})
      expect(run.code, `exit code after ${run.elapsedMs} ms: ${run.stderr}`).to.equal(5)
      expect(run.elapsedMs).to.be.below(6000)
      expect(run.stderr).to.match(/no answer within 3 s/)
      expect(hostile.requests.length - before, 'requests made').to.equal(1)
    })
  })

  describe('huge answers', () => {
    it('a 50 MB error detail: stops reading at the 8 MiB cap, one line naming it', async () => {
      const run = await cidx(['jobs', 'list', '-q'], at('huge-detail'), {killAfterMs: 30_000})
      expect(run.code, run.stderr).to.equal(1)
      expect(run.stderr).to.match(/larger than 8 MiB/)
      expect(run.stderr.length).to.be.below(1000)
      // What the kernel buffers on loopback comes on top of the 8 MiB read, but not the whole 50 MB.
      expect(hostile.sent['huge-detail'], 'bytes the server got out').to.be.below(24 * MiB)
    })

    it('a 100,000-character error detail is shown cut to its first 1000 characters', async () => {
      // A listing answered 404: no CIDX server API at that URL (exit 5), the server's words cut.
      const run = await cidx(['jobs', 'list', '-q'], at('long-detail'))
      expect(run.code, run.stderr).to.equal(5)
      expect(run.stderr).to.match(/ answered 404: Job not found: z{985}… \(99015 characters cut\)\.\n/)
      expect(run.stderr.length).to.be.below(1400)
    })

    it('an SSE event that never ends: watch stops reading at the 1 MiB event cap', async () => {
      const run = await cidx(['jobs', 'watch', JOB_ID], at('endless-event'), {killAfterMs: 30_000})
      expect(run.code, run.stderr).to.equal(1)
      expect(run.stderr).to.match(/event larger than 1 MiB/)
      expect(hostile.sent['endless-event'], 'bytes the server got out').to.be.below(16 * MiB)
    })
  })

  describe('redirects that go nowhere', () => {
    it('a redirect loop is reported as one, with the URLs', async () => {
      const run = await cidx(['jobs', 'list', '-q'], at('loop'))
      expect(run.code, run.stderr).to.equal(5)
      const loop = `${hostile.url}/loop/api/jobs?…`
      const back = `${hostile.url}/loop-back/api/jobs?…`
      expect(run.stderr).to.include(`Too many redirects: ${loop} → ${back} → ${loop}`)
    })

    it('a redirect to file:// is named as not HTTP(S)', async () => {
      const run = await cidx(['jobs', 'list', '-q'], at('to-file'))
      expect(run.code, run.stderr).to.equal(5)
      expect(run.stderr).to.include('redirected to file:///etc/passwd, which is not HTTP(S)')
    })
  })
})
