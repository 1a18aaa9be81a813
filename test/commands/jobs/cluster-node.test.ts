import {type ServerHandle, startServer} from '@cidx/local-server'
import {expect} from 'chai'
import {mkdtempSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {startThrowawayPostgres, type ThrowawayPostgres} from '../../../server/src/db/throwaway-postgres.js'
import {Api, waitForJobEnd} from '../../../server/test/support/api.js'
import {createRepo, numberedFiles} from '../../../server/test/support/git-fixtures.js'
import {createSandbox, type Sandbox} from '../../helpers/sandbox.js'
import {runCli} from '../../helpers/servers/watch-harness.js'

const ADMIN_PASSWORD = 'cluster-node-admin-pw'

/**
 * The CLI against a real cluster node: the local server in process on a throwaway PostgreSQL,
 * named node-a, running a real job (a golden repository added from a git repository made here).
 */
describe('commands: jobs health and jobs status against a node of a cluster on PostgreSQL', () => {
  let postgres: ThrowawayPostgres
  let server: ServerHandle
  let sandbox: Sandbox
  let root: string
  let jobId: string
  let leave: () => void

  before(async function () {
    this.timeout(120_000)
    postgres = await startThrowawayPostgres()
    root = realpathSync(mkdtempSync(join(tmpdir(), 'cidx-cluster-node-')))
    server = await startServer({
      database: postgres.url,
      nodeName: 'node-a',
      dataDir: join(root, 'data'),
      port: 0,
      adminPassword: ADMIN_PASSWORD,
    })
    const repo = join(root, 'golden-source')
    createRepo(repo, numberedFiles(3))
    const api = new Api(server.url)
    const token = await api.login('admin', ADMIN_PASSWORD)
    const submitted = await api.post('/api/admin/golden-repos', {repo_url: repo, alias: 'fixture'}, token)
    expect(submitted.status, submitted.text).to.equal(202)
    jobId = submitted.body.job_id as string
    expect((await waitForJobEnd(api, token, jobId, 60_000)).status).to.equal('completed')
    sandbox = await createSandbox('cidx-cluster-node-home-', {NO_COLOR: '1'})
    leave = sandbox.enter({CIDX_SERVER_URL: server.url, CIDX_USERNAME: 'admin', CIDX_PASSWORD: ADMIN_PASSWORD})
  })

  after(async function () {
    this.timeout(60_000)
    leave?.()
    await sandbox?.remove()
    await server?.close()
    await postgres?.stop()
    if (root) rmSync(root, {recursive: true, force: true})
  })

  it('jobs health lists the node that answered, its running jobs and a fresh heartbeat', async () => {
    const run = await runCli(['jobs', 'health'])
    expect(run.exitCode, run.stderr).to.equal(0)
    expect(run.stdout).to.include('nodes:         1\n')
    // The node beats every 5 s: its last heartbeat is "just now" or some seconds ago.
    expect(run.stdout).to.match(
      /\n {2}node-a {2}running 0, last heartbeat \d{4}-\d{2}-\d{2} [\d:]+ \S+ \((?:just now|\d+s ago)\) \(answered\)\n/,
    )
    expect(run.stdout).not.to.include('stale')
  })

  it('jobs health --json carries node and nodes, normalized', async () => {
    const run = await runCli(['jobs', 'health', '--json'])
    expect(run.exitCode, run.stderr).to.equal(0)
    const health = JSON.parse(run.stdout) as {node: string; nodes: Array<Record<string, unknown>>}
    expect(health.node).to.equal('node-a')
    expect(health.nodes).to.have.length(1)
    const [node] = health.nodes
    expect(Object.keys(node).sort()).to.deep.equal(['last_heartbeat', 'name', 'running', 'stale', 'url'])
    expect(node).to.include({name: 'node-a', running: 0, stale: false})
    expect(node.last_heartbeat).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    // A heartbeat the node wrote moments ago: within the default node timeout (30 s) of now.
    expect(Math.abs(Date.now() - Date.parse(node.last_heartbeat as string))).to.be.below(30_000)
  })

  it('jobs status of the job that ran names node-a, and --json carries it', async () => {
    const human = await runCli(['jobs', 'status', jobId])
    expect(human.exitCode, human.stderr).to.equal(0)
    expect(human.stdout).to.match(/^Status {6}completed$/m)
    expect(human.stdout).to.match(/^Node {8}node-a$/m)
    const json = await runCli(['jobs', 'status', jobId, '--json'])
    expect(json.exitCode, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout)).to.include({job_id: jobId, node: 'node-a', status: 'completed'})
  })

  it('jobs list --json carries the node of each job', async () => {
    const run = await runCli(['jobs', 'list', '--json'])
    expect(run.exitCode, run.stderr).to.equal(0)
    const jobs = JSON.parse(run.stdout) as Array<{job_id: string; node: null | string}>
    expect(jobs.find((job) => job.job_id === jobId)?.node).to.equal('node-a')
  })
})
