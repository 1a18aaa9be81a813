import {expect} from 'chai'
import {type ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import pg from 'pg'

import type {ClusterWireJob} from '../../src/jobs/job-row.js'

import {Api} from '../support/api.js'
import {sourceRepo, startTestCluster, type TestCluster, waitForEnd, waitForJob} from '../support/cluster.js'
import {processesMentioning} from '../support/processes.js'
import {openEventStream} from '../support/sse.js'

const SERVER_BIN = fileURLToPath(new URL('../../bin/server.js', import.meta.url))
const NODE_TIMEOUT_SECONDS = 2
/** 300 files at 200 ms between batches of 20: an add runs about 3 s, long enough to be killed midway. */
const THROTTLE_MS = 200
const SLOW_FILES = 300
/** What the login trigger answers node A's listener while it is kept away. */
const KEPT_OUT = 'listening kept out by the test'

type HandStart =
  {child: ChildProcess; started: true; url: string} | {code: null | number; started: false; stderr: string}

/** Starts a node process as an operator would (same arguments as the launcher's); resolves once it listens or exits. */
async function startNodeByHand(test: TestCluster, name: string): Promise<HandStart> {
  const {databaseUrl, dataDir, adminPassword} = test.cluster
  // The launcher's arguments for node-1 of this cluster, word for word.
  const args = ['--database', databaseUrl, '--node-name', name, '--data-dir', dataDir, '--port', '0']
  args.push('--workers', '1', '--job-throttle-ms', String(THROTTLE_MS), '--node-timeout', String(NODE_TIMEOUT_SECONDS))
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: {...process.env, CIDX_ADMIN_PASSWORD: adminPassword},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise<HandStart>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match) resolve({started: true, child, url: match[1]})
    })
    child.once('exit', (code) => resolve({started: false, code, stderr}))
  })
}

async function stopByHand(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

interface HealthWithNodes {
  nodes: {name: string; stale: boolean}[]
  reasons: string[]
  status: string
}

describe('server: a cluster node restarting under its own name', function () {
  this.timeout(60_000)
  let test: TestCluster
  let restarted: ChildProcess | undefined

  before(async function () {
    this.timeout(120_000)
    test = await startTestCluster({
      nodes: 1,
      workers: 1,
      throttleMs: THROTTLE_MS,
      nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS,
    })
  })

  after(async () => {
    // Before the cluster's stop, which takes PostgreSQL away from under it.
    if (restarted) await stopByHand(restarted)
    await test?.stop()
  })

  it('is refused while its dead life still looks alive, then sweeps that life: its job failed, tmp dir and git gone', async () => {
    const source = sourceRepo(test, 'slow-source', SLOW_FILES)
    const api = test.apis[0]
    const response = await api.post('/api/admin/golden-repos', {repo_url: source, alias: 'slow'}, test.adminToken)
    expect(response.status, response.text).to.equal(202)
    const jobId = response.body.job_id as string
    await waitForJob(api, test.adminToken, jobId, {
      what: 'to index',
      matches: (job) => job.current_phase === 'index' && /^[1-9]\d*\//.test(job.phase_detail ?? ''),
    })
    const tmpDir = join(test.cluster.dataDir, 'tmp', jobId)
    expect(existsSync(tmpDir)).to.equal(true)
    process.kill(test.cluster.nodes[0].pid, 'SIGKILL')
    const killedAt = Date.now()

    // Alone in the cluster, nobody sweeps node-1: its row still beat less than the timeout ago.
    const early = await startNodeByHand(test, 'node-1')
    const earlyMs = Date.now() - killedAt
    if (early.started) restarted = early.child
    expect(early.started, `started ${earlyMs} ms after the kill, within the timeout`).to.equal(false)
    if (early.started) return
    expect(early.code).to.not.equal(0)
    expect(early.stderr).to.include('Node name node-1 is in use')

    await sleep(Math.max(0, killedAt + NODE_TIMEOUT_SECONDS * 1000 + 200 - Date.now()))
    const late = await startNodeByHand(test, 'node-1')
    expect(late.started, late.started ? '' : `exit ${late.code}: ${late.stderr}`).to.equal(true)
    if (!late.started) return
    restarted = late.child
    const upAfterMs = Date.now() - killedAt

    // It sweeps its own past before it listens: the job is already failed when the URL is printed.
    const restartedApi = new Api(late.url)
    const job = (await restartedApi.get<ClusterWireJob>(`/api/jobs/${jobId}`, test.adminToken)).body
    expect(job).to.include({status: 'failed', error: 'Job interrupted: node node-1 stopped', node: 'node-1'})
    expect(existsSync(tmpDir)).to.equal(false)
    expect(existsSync(join(test.cluster.dataDir, 'golden', 'slow'))).to.equal(false)
    expect(processesMentioning(tmpDir)).to.deep.equal([])
    expect(processesMentioning(source)).to.deep.equal([])

    const health = (await restartedApi.get<HealthWithNodes>('/health', test.adminToken)).body
    expect(health.nodes.map((node) => ({name: node.name, stale: node.stale}))).to.deep.equal([
      {name: 'node-1', stale: false},
    ])
    expect(health.reasons.join('\n')).to.not.include('stopped sending heartbeats')
    expect(health.status, health.reasons.join('\n')).to.equal('healthy')

    await stopByHand(late.child)
    expect(late.child.exitCode).to.equal(0)
    restarted = undefined
    console.log(`      refused ${earlyMs} ms after the kill; up and swept ${upAfterMs} ms after it`)
  })
})

describe('server: a cluster node replaying the job events it missed while its bus was down', function () {
  this.timeout(60_000)
  let test: TestCluster
  let pool: pg.Pool

  before(async function () {
    this.timeout(120_000)
    test = await startTestCluster({nodes: 2})
    pool = new pg.Pool({connectionString: test.cluster.databaseUrl, max: 1})
  })

  after(async () => {
    await pool?.end()
    await test?.stop()
  })

  /**
   * Keeps `node`'s listening connection away: terminated once, and its reconnects refused by a
   * login event trigger on its `application_name` until the returned function is called. A loop
   * of terminations every 20 ms does not keep it away: a reconnect takes a few ms, so most of
   * them finish between two terminations, and each replays mid-loop. The other connections,
   * node B's included, are not touched.
   */
  async function keepListenerDown(node: string): Promise<() => Promise<void>> {
    const name = `cidx-listen ${node}`
    await pool.query(`CREATE FUNCTION keep_listener_out() RETURNS event_trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('application_name') = '${name}' THEN RAISE EXCEPTION '${KEPT_OUT}'; END IF;
      END $$`)
    await pool.query('CREATE EVENT TRIGGER keep_listener_out ON login EXECUTE FUNCTION keep_listener_out()')
    const killed = await pool.query<{done: boolean}>(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1',
      [name],
    )
    expect(killed.rows.map((row) => row.done)).to.deep.equal([true])
    return async () => {
      await pool.query('DROP EVENT TRIGGER keep_listener_out')
      await pool.query('DROP FUNCTION keep_listener_out()')
    }
  }

  it('delivers to a watcher on a node whose listener was down the end of a job that ran meanwhile on another', async () => {
    const [nodeA, nodeB] = test.cluster.nodes
    const [apiA, apiB] = test.apis
    const source = sourceRepo(test, 'quick-source', 3)
    const watcher = await openEventStream(`${apiA.baseUrl}/api/jobs/events`, test.adminToken)
    try {
      const letBack = await keepListenerDown(nodeA.name)
      const lettingBack = sleep(1500).then(letBack)
      const response = await apiB.post('/api/admin/golden-repos', {repo_url: source, alias: 'quick'}, test.adminToken)
      expect(response.status, response.text).to.equal(202)
      const jobId = response.body.job_id as string
      await lettingBack
      const letBackAt = Date.now()
      const ofJob = (data: string) => (JSON.parse(data) as ClusterWireJob).job_id === jobId
      const seenWhileAway = watcher.events.filter((event) => ofJob(event.data)).length

      const job = await waitForEnd(apiB, test.adminToken, jobId)
      expect(job).to.include({status: 'completed', node: nodeB.name})
      expect(Date.parse(job.completed_at as string), 'the job ended before the listener was let back').to.be.below(
        letBackAt,
      )
      // The bus did try to come back meanwhile, and was refused.
      const refused = test.output.filter((line) => line.includes(KEPT_OUT)).length
      expect(refused, 'reconnects refused').to.be.at.least(1)
      // Live notifications could not reach node A: whatever it shows of the job next, it owes to the replay.
      expect(seenWhileAway, 'events of the job seen while the listener was away').to.equal(0)

      const completed = await watcher.next((event) => {
        const seen = JSON.parse(event.data) as ClusterWireJob
        return seen.job_id === jobId && seen.status === 'completed'
      }, 5000)
      const replayedAfterMs = Date.now() - letBackAt
      expect(JSON.parse(completed.data)).to.include({node: nodeB.name, status: 'completed'})
      console.log(
        `      ${refused} reconnect(s) of ${nodeA.name}'s listener refused; the end replayed ${replayedAfterMs} ms after`,
      )
    } finally {
      watcher.close()
    }
  })
})
