import type {IncomingMessage, ServerResponse} from 'node:http'

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {ROOT, run, type RunResult} from '../ecosystem/support.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'
import {ATTACKS, ESCAPED_TITLE, expectNoRawControls, hostile, RAW_CONTROL} from '../helpers/fixtures/hostile-text.js'
import {pythonIso, type WireJob, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {type LoopbackProxy, loopbackProxy} from '../helpers/servers/loopback-proxy.js'

/**
 * A server that writes terminal control codes (window title, screen clear, cursor moves,
 * hyperlinks, DCS, C1 CSI, bidi overrides) into every text it sends, against the BUILT CLI as a
 * user runs it: what people see carries them escaped, `--json` carries them as JSON escapes
 * only, and parses back to what the server sent.
 */

const RUN_JS = join(ROOT, 'bin', 'run.js')
const RUNNING = '11111111-1111-4111-8111-111111111111'
const FAILED = '22222222-2222-4222-8222-222222222222'
const TO_CANCEL = '33333333-3333-4333-8333-333333333333'
/** Answered with a hostile error detail. */
const BROKEN = '44444444-4444-4444-8444-444444444444'
/** A job whose ID and status are hostile too: the server refuses to cancel it, naming its status. */
const ODD = hostile('odd-id')

const TOKEN = fakeJwt({username: hostile('token-user'), role: hostile('token-role'), exp: Date.now() / 1000 + 3600})

function hostileJobs(): WireJob[] {
  const now = Date.now()
  const at = (minutesAgo: number) => pythonIso(new Date(now - minutesAgo * 60_000))
  const fields = {operation_type: hostile('type'), username: hostile('user'), started_at: at(4)}
  return [
    wireJob({
      ...fields,
      job_id: RUNNING,
      status: 'running',
      progress: 30,
      created_at: at(5),
      result: {alias: hostile('repo')},
      current_phase: hostile('phase'),
      phase_detail: hostile('detail'),
    }),
    wireJob({
      ...fields,
      job_id: FAILED,
      status: 'failed',
      progress: 0,
      created_at: at(6),
      completed_at: at(3),
      error: hostile('error'),
      result: {alias: hostile('repo'), message: hostile('message'), nested: {deep: hostile('nested')}},
    }),
    wireJob({
      ...fields,
      job_id: TO_CANCEL,
      status: 'running',
      progress: 50,
      created_at: at(7),
      result: {alias: hostile('repo')},
    }),
    wireJob({...fields, job_id: ODD, status: hostile('status'), created_at: at(8), result: {alias: hostile('repo')}}),
  ]
}

function send(response: ServerResponse, status: number, body: unknown): true {
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
  return true
}

/** What people see: stdout and stderr, with no raw control and the field's escaped form present. */
function expectEscaped(result: RunResult, what: string, labels: string[], options: {ownColours?: boolean} = {}): void {
  const all = `${result.stdout}${result.stderr}`
  expectNoRawControls(all, what, options)
  for (const label of labels) expect(all, `${what} shows ${label}`).to.include(`${label}${ESCAPED_TITLE}`)
}

/** `--json`: no raw control or bidi character, and the server's escapes (\u001b, \u009b, \u202e) in their place. */
function parseJson(result: RunResult, what: string): unknown {
  expect(RAW_CONTROL.exec(result.stdout), `${what} carries a raw control`).to.equal(null)
  expect(result.stdout)
    .to.include(String.raw`\u001b]0;pwned\u0007`)
    .and.include(String.raw`\u009b31m`)
    .and.include(String.raw`\u202eevil`)
  return JSON.parse(result.stdout)
}

function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('commands against a server that writes control codes into its texts (built CLI)', function () {
  this.timeout(60_000)
  let fake: FakeCidx
  let proxy: LoopbackProxy
  let home: Sandbox
  let env: NodeJS.ProcessEnv
  /** Called on every GET of one job, before the fake answers it (a test may change the job then). */
  let onJobGet: ((id: string) => void) | undefined

  function intercept(request: IncomingMessage, response: ServerResponse): boolean {
    const url = request.url ?? ''
    if (request.method === 'POST' && url === '/auth/login') {
      return send(response, 200, {
        access_token: TOKEN,
        token_type: 'bearer',
        user: {username: hostile('login-user'), role: hostile('login-role')},
        refresh_token: 'refresh-1',
        refresh_token_expires_in: 604_800,
      })
    }

    const id = /^\/api\/jobs\/([^/?]+)$/.exec(url)?.[1]
    if (id === undefined) return false
    const jobId = decodeURIComponent(id)
    if (jobId === BROKEN)
      return send(response, 409, {detail: {error: hostile('conflict'), guidance: hostile('guidance')}})
    if (request.method === 'GET') onJobGet?.(jobId)
    // The cancel of a running job is accepted, and it ends cancelled with the server's words.
    if (request.method === 'DELETE' && jobId === TO_CANCEL) {
      Object.assign(
        fake.jobs.find((job) => job.job_id === TO_CANCEL)!,
        {status: 'cancelled', error: hostile('cancelled'), completed_at: pythonIso(new Date())},
      )
      return send(response, 200, {success: true, message: 'Job cancelled successfully'})
    }

    return false
  }

  function cidx(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    return run(process.execPath, [RUN_JS, ...args], {env: {...env, ...extraEnv}, cwd: home.env.HOME, timeoutMs: 45_000})
  }

  before(async () => {
    expect(existsSync(join(ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
    fake = await startFakeCidx({paging: 'correct', token: TOKEN, jobs: hostileJobs()})
    proxy = await loopbackProxy(fake.url, {intercept})
    home = await createSandbox('cidx-hostile-', {NO_COLOR: '1'})
    env = {...home.env, CIDX_SERVER_URL: proxy.url, CIDX_TOKEN: TOKEN}
  })

  beforeEach(() => {
    fake.jobs.splice(0, fake.jobs.length, ...hostileJobs())
    onJobGet = undefined
  })

  after(async () => {
    await proxy?.close()
    await fake?.close()
    if (home) await rm(home.base, {recursive: true, force: true})
  })

  it('jobs list: every cell escaped (plain and coloured), --json parses back to what the server sent', async () => {
    const plain = await cidx(['jobs', 'list'])
    expect(plain.code, plain.stderr).to.equal(0)
    expectEscaped(plain, 'jobs list', ['odd-id', 'type', 'status', 'repo', 'user'])
    const coloured = await cidx(['jobs', 'list'], {NO_COLOR: '', FORCE_COLOR: '1'})
    // eslint-disable-next-line no-control-regex -- the colour escapes are what this checks for
    expect(coloured.stdout).to.match(/\u001B\[\d+m/)
    expectEscaped(coloured, 'jobs list in colour', ['type', 'repo'], {ownColours: true})

    const json = await cidx(['jobs', 'list', '--json'])
    expect(json.code, json.stderr).to.equal(0)
    const jobs = parseJson(json, 'jobs list --json') as Array<Record<string, unknown>>
    const failed = jobs.find((job) => job.job_id === FAILED)!
    expect(failed).to.include({
      job_type: hostile('type'),
      user_id: hostile('user'),
      repository: hostile('repo'),
      error_message: hostile('error'),
    })
    expect(failed.result).to.deep.equal({
      alias: hostile('repo'),
      message: hostile('message'),
      nested: {deep: hostile('nested')},
    })
    expect(jobs.find((job) => job.job_id === ODD)).to.include({status: hostile('status')})

    const quiet = await cidx(['jobs', 'list', '-q'])
    expectNoRawControls(quiet.stdout, 'jobs list -q')
    expect(quiet.stdout.trimEnd().split('\n')).to.have.length(4)
  })

  it('jobs status: every field and the result escaped, the error keeping its lines; --json parses back', async () => {
    const running = await cidx(['jobs', 'status', RUNNING])
    expect(running.code, running.stderr).to.equal(0)
    expectEscaped(running, 'jobs status (running)', ['type', 'user', 'repo', 'phase', 'detail'])
    const failed = await cidx(['jobs', 'status', FAILED])
    expectEscaped(failed, 'jobs status (failed)', ['error', 'message', 'repo'])

    const json = await cidx(['jobs', 'status', RUNNING, '--json'])
    const job = parseJson(json, 'jobs status --json') as Record<string, unknown>
    expect(job).to.include({job_type: hostile('type'), user_id: hostile('user'), repository: hostile('repo')})
    expect(job.progress_detail).to.include({current_step: hostile('phase'), detailed_status: hostile('detail')})
  })

  it("jobs cancel --yes: the selection, the outcomes and the server's refusal escaped; --json parses back", async () => {
    const human = await cidx(['jobs', 'cancel', '--yes', TO_CANCEL, ODD])
    expect(human.code, human.stderr).to.equal(6)
    expectEscaped(human, 'jobs cancel', ['odd-id', 'type', 'repo', 'user', 'status', 'cancelled'])
    expect(human.stdout).to.include(`Cannot cancel job in status${ESCAPED_TITLE}`)

    fake.jobs.splice(0, fake.jobs.length, ...hostileJobs())
    const json = await cidx(['jobs', 'cancel', '--yes', '--json', TO_CANCEL, ODD])
    expect(json.code).to.equal(6)
    expectNoRawControls(json.stderr, 'the selection on stderr')
    const results = parseJson(json, 'jobs cancel --json') as Array<Record<string, unknown>>
    expect(results.map((result) => result.job_id)).to.deep.equal([TO_CANCEL, ODD])
    expect(results[0]).to.include({outcome: 'cancelled', message: hostile('cancelled')})
    expect(results[1]).to.include({
      outcome: 'already_finished',
      final_status: hostile('status'),
      message: `Cannot cancel job in ${hostile('status')} status`,
    })
  })

  it('jobs watch in a pipe: one escaped line per change; --json one job per line that parses back', async () => {
    // The running job fails once the watch has seen it running (its third GET: lookup, start, first poll).
    const failOnThirdGet = () => {
      let gets = 0
      onJobGet = (id) => {
        if (id === RUNNING && ++gets === 3)
          Object.assign(
            fake.jobs.find((job) => job.job_id === RUNNING)!,
            {status: 'failed', error: hostile('late-error'), completed_at: pythonIso(new Date())},
          )
      }
    }

    failOnThirdGet()
    const lines = await cidx(['jobs', 'watch', RUNNING, FAILED, '--interval', '100ms', '--timeout', '30s'])
    expect(lines.code, lines.stderr).to.equal(0)
    expectEscaped(lines, 'jobs watch', ['type', 'repo', 'phase', 'error', 'late-error'])
    expect(lines.stdout).to.match(/Done: 2 failed\.\n$/)

    fake.jobs.splice(0, fake.jobs.length, ...hostileJobs())
    failOnThirdGet()
    const json = await cidx(['jobs', 'watch', RUNNING, FAILED, '--interval', '100ms', '--timeout', '30s', '--json'])
    expect(json.code, json.stderr).to.equal(0)
    expect(RAW_CONTROL.exec(json.stdout), 'jobs watch --json carries a raw control').to.equal(null)
    const changes = ndjson(json.stdout)
    expect(changes.map((job) => job.job_type)).to.deep.equal(changes.map(() => hostile('type')))
    const running = changes.find((job) => job.job_id === RUNNING && job.status === 'running')!
    expect(running.progress_detail).to.include({current_step: hostile('phase'), detailed_status: hostile('detail')})
    expect(changes.find((job) => job.job_id === RUNNING && job.status === 'failed')).to.include({
      error_message: hostile('late-error'),
    })
  })

  it("whoami and login: the server's user name and role escaped; --json parses back", async () => {
    const whoami = await cidx(['whoami'])
    expect(whoami.code, whoami.stderr).to.equal(0)
    expectEscaped(whoami, 'whoami', ['token-user', 'token-role'])
    expect(parseJson(await cidx(['whoami', '--json']), 'whoami --json')).to.include({
      username: hostile('token-user'),
      role: hostile('token-role'),
    })

    const loginHome = await createSandbox('cidx-hostile-login-', {NO_COLOR: '1'})
    try {
      const login = await run(
        'sh',
        [
          '-c',
          'printf %s "$PW" | "$0" "$@"',
          process.execPath,
          RUN_JS,
          'login',
          '--server',
          proxy.url,
          '--username',
          'alice',
          '--password-stdin',
        ],
        {
          env: {...loginHome.env, PW: 'not-a-real-password'},
          cwd: loginHome.env.HOME,
        },
      )
      expect(login.code, login.stderr).to.equal(0)
      expectEscaped(login, 'login', ['login-user', 'login-role'])
      const session = await run(process.execPath, [RUN_JS, 'whoami'], {env: loginHome.env, cwd: loginHome.env.HOME})
      expectEscaped(session, 'whoami from the login session', ['login-user', 'login-role'])
    } finally {
      await rm(loginHome.base, {recursive: true, force: true})
    }
  })

  it("an error answer: the server's detail escaped in the one-line error; under --json as JSON escapes, parsing back", async () => {
    const human = await cidx(['jobs', 'status', BROKEN])
    expect(human.code).to.equal(6)
    expect(human.stdout).to.equal('')
    expect(human.stderr.trimEnd().split('\n')).to.have.length(1)
    expectEscaped(human, 'the error', ['conflict', 'guidance'])

    const json = await cidx(['jobs', 'status', BROKEN, '--json'])
    expect(json.code).to.equal(6)
    const {error} = parseJson(json, 'the JSON error') as {error: Record<string, unknown>}
    expect(error).to.include({
      kind: 'conflict',
      message: `${hostile('conflict')} (${hostile('guidance')})`,
      exit_code: 6,
    })
  })

  describe('on a real terminal (tmux)', () => {
    const socket = `cidx-hostile-${process.pid}`
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})

    after(() => {
      try {
        tmux('kill-server')
      } catch {
        // Already gone with its last session.
      }
    })

    it('jobs watch and jobs status leave the window title and the screen alone', async () => {
      // A line before the CLI runs: a screen clear would take it away. The shell stays, so that
      // nothing scrolls the screen after the CLI (after() ends it with the tmux server).
      const script = join(home.base, 'run.sh')
      await writeFile(
        script,
        'echo BEFORE-THE-CLI\n"$@" jobs watch "$WATCHED"\n"$@" jobs status "$WATCHED"\necho "EXIT=$?"\nexec sleep 600\n',
      )
      const variables = Object.entries({...env, WATCHED: FAILED, TERM: 'xterm-256color'})
        .filter(([name]) => !['NO_COLOR', 'NODE_V8_COVERAGE', 'TMUX'].includes(name))
        .map(([name, value]) => `${name}=${value}`)
      tmux(
        'new-session',
        '-d',
        '-s',
        'hostile',
        '-x',
        '200',
        '-y',
        '50',
        '--',
        'env',
        '-i',
        ...variables,
        'sh',
        script,
        process.execPath,
        RUN_JS,
      )
      const deadline = Date.now() + 30_000
      let screen = ''
      while (!/EXIT=\d+/.test(screen)) {
        if (Date.now() > deadline) throw new Error(`the CLI did not finish in tmux:\n${screen}`)
        await new Promise((resolve) => {
          setTimeout(resolve, 100)
        })
        screen = tmux('capture-pane', '-p', '-J', '-t', 'hostile')
      }

      expect(screen).to.match(/^EXIT=0$/m)
      expect(screen).to.include('BEFORE-THE-CLI')
      expect(screen).to.include(`error${ESCAPED_TITLE}`)
      expect(tmux('display-message', '-p', '-t', 'hostile', '#{pane_title}')).not.to.include('pwned')
      expect(screen).not.to.include(ATTACKS.bidi)
    })
  })
})
