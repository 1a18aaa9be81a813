import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'

import {useCliSession} from '../../helpers/cli-session.js'
import {REAL_HEALTH_NORMALIZED, realHealthBody, realHealthyBody} from '../../helpers/fixtures/health-fixtures.js'
import {ESCAPED_TITLE, expectNoRawControls, hostile, RAW_CONTROL} from '../../helpers/fixtures/hostile-text.js'
import {createSandbox, type Sandbox} from '../../helpers/sandbox.js'
import {type FakeCidx, startFakeCidx} from '../../helpers/servers/fake-cidx.js'
import {
  REPO_ROOT,
  runCli,
  spawnCli,
  startWatchServer,
  useCliEnv,
  type WatchServer,
} from '../../helpers/servers/watch-harness.js'

const MINUTE = 60_000

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
  })
  return port
}

describe("commands: jobs health (against a real server's shape)", () => {
  let fake: FakeCidx
  useCliSession(() => ({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token}))

  before(async () => {
    fake = await startFakeCidx({paging: 'correct', health: {status: 200, body: realHealthyBody()}})
  })

  beforeEach(() => {
    fake.healthChecks = 0
  })

  after(() => fake.close())

  it('exits 0 on a healthy server and shows its version, uptime and job queue', async () => {
    fake.health = {status: 200, body: realHealthyBody()}
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode, run.stderr).to.equal(0)
    expect(run.stdout).to.include('status:        healthy\n')
    expect(run.stdout).to.include('version:       11.79.0\n')
    expect(run.stdout).to.include('uptime:        1m 30s\n')
    expect(run.stdout).to.include('  failed:      0\n')
  })

  it('exits 13 when failed jobs make it degraded, and names the command that lists them', async () => {
    fake.health = {status: 200, body: realHealthBody()}
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode, run.stderr).to.equal(13)
    expect(run.stdout).to.include('message:       CIDX Server is running but 32 failed jobs detected\n')
    expect(run.stdout).to.include('  failed:      32 (see: cidx jobs list --status failed)\n')
  })

  it('takes a 503 with a body as the answer "unhealthy": exit 14, asked once', async () => {
    fake.health = {status: 503, body: realHealthBody({status: 'unhealthy', message: 'jobs database unreachable'})}
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode, run.stderr).to.equal(14)
    expect(run.stdout).to.include('status:        unhealthy\n')
    expect(run.stdout).to.include('message:       jobs database unreachable\n')
    expect(fake.healthChecks).to.equal(1)
  })

  it('takes a 503 without a health answer (a proxy page) as a server error: exit 1', async () => {
    fake.health = {status: 503, body: '<html><body>Service Unavailable</body></html>'}
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode).to.equal(1)
    expect(run.stderr).to.match(/^Error: The server at \S+ answered 503 with an HTML page instead of JSON/)
  })

  it('--json prints one normalized object, exit code as for people', async () => {
    fake.health = {status: 200, body: realHealthBody()}
    const run = await runCli(['jobs', 'health', '--json'])
    expect(run.exitCode, run.stderr).to.equal(13)
    expect(JSON.parse(run.stdout)).to.deep.equal(REAL_HEALTH_NORMALIZED)
  })

  it('exits 3 when the server rejects the token, without showing it', async () => {
    process.env.CIDX_TOKEN = 'wrong-secret-token'
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode).to.equal(3)
    expect(run.stderr).to.include('Missing authentication credentials')
    expect(run.stdout + run.stderr).not.to.include('wrong-secret-token')
  })

  it("escapes a hostile server's texts for people and in --json", async () => {
    fake.health = {
      status: 200,
      body: realHealthBody({status: hostile('status'), message: hostile('message'), version: hostile('version')}),
    }
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode).to.equal(14)
    expectNoRawControls(run.stdout, 'jobs health')
    for (const label of ['status', 'message', 'version']) expect(run.stdout).to.include(`${label}${ESCAPED_TITLE}`)
    const json = await runCli(['jobs', 'health', '--json'])
    expect(json.stdout).not.to.match(RAW_CONTROL)
    expect(JSON.parse(json.stdout).message).to.equal(hostile('message'))
  })
})

describe('commands: jobs health (against the local server with real jobs)', function () {
  this.timeout(60_000)
  let watch: WatchServer
  let restoreEnv: () => void

  before(async () => {
    watch = await startWatchServer({health: {stuckAfterSeconds: 60, queueWaitWarningSeconds: 3600}})
    restoreEnv = useCliEnv(watch)
  })

  after(async () => {
    restoreEnv()
    await watch.stop()
  })

  it('is healthy with nothing wrong, then degraded by a stuck job it names by ID, with the failures of the hour', async () => {
    const healthy = await runCli(['jobs', 'health', '--json'])
    expect(healthy.exitCode, healthy.stderr).to.equal(0)
    expect(JSON.parse(healthy.stdout).job_queue).to.include({running: 0, stuck: 0, failed: 0, failed_last_hour: 0})

    const now = Date.now()
    const stuckId = await watch.seed({
      status: 'running',
      created_at: new Date(now - 20 * MINUTE),
      started_at: new Date(now - 19 * MINUTE),
      updated_at: new Date(now - 10 * MINUTE),
    })
    await watch.seed({
      status: 'failed',
      created_at: new Date(now - 5 * MINUTE),
      started_at: new Date(now - 5 * MINUTE),
      completed_at: new Date(now - MINUTE),
      error: 'git fetch failed',
    })

    const json = await runCli(['jobs', 'health', '--json'])
    expect(json.exitCode, json.stderr).to.equal(13)
    const health = JSON.parse(json.stdout)
    expect(health.status).to.equal('degraded')
    expect(health.reasons).to.deep.equal(['1 running job(s) made no progress for more than 60 s'])
    expect(health.job_queue).to.include({running: 1, stuck: 1, failed: 1, failed_last_hour: 1, workers: 2})
    expect(health.job_queue.stuck_jobs).to.have.length(1)
    expect(health.job_queue.stuck_jobs[0].job_id).to.equal(stuckId)
    expect(health.job_queue.stuck_jobs[0].seconds_since_progress).to.be.within(590, 700)

    const people = await runCli(['jobs', 'health'])
    expect(people.exitCode).to.equal(13)
    expect(people.stdout).to.include(`  stuck:       1 (see: cidx jobs status ${stuckId})\n`)
    expect(people.stdout).to.match(new RegExp(`^    ${stuckId}  sync_repository  no progress for 10m \\d\\ds$`, 'm'))
    expect(people.stdout).to.include('  failed:      1 (see: cidx jobs list --status failed)\n')
  })
})

describe('commands: jobs health (the built CLI, as monitoring runs it)', function () {
  this.timeout(60_000)
  let fake: FakeCidx
  let home: Sandbox

  before(async () => {
    expect(existsSync(join(REPO_ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
    fake = await startFakeCidx({paging: 'correct', health: {status: 200, body: realHealthyBody()}})
    home = await createSandbox('cidx-health-')
  })

  after(async () => {
    await fake.close()
    await home.remove()
  })

  async function exitCode(env: NodeJS.ProcessEnv): Promise<null | number> {
    const cli = spawnCli(['jobs', 'health'], {...home.env, ...env}, 'bin/run.js')
    return (await cli.exit).code
  }

  it('exits 0 healthy, 13 degraded, 14 unhealthy, 5 unreachable, 3 not authenticated', async () => {
    const env = {CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token}
    const codes: Record<string, null | number> = {}
    fake.health = {status: 200, body: realHealthyBody()}
    codes.healthy = await exitCode(env)
    fake.health = {status: 200, body: realHealthBody()}
    codes.degraded = await exitCode(env)
    fake.health = {status: 503, body: realHealthBody({status: 'unhealthy'})}
    codes.unhealthy = await exitCode(env)
    codes.unreachable = await exitCode({CIDX_SERVER_URL: `http://127.0.0.1:${await closedPort()}`, CIDX_TOKEN: 'x'})
    codes.unauthenticated = await exitCode({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: 'not-the-token'})
    expect(codes).to.deep.equal({healthy: 0, degraded: 13, unhealthy: 14, unreachable: 5, unauthenticated: 3})
  })
})
