import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import type {ClusterWireJob} from '../../src/jobs/job-row.js'

import {type Api, waitFor} from '../support/api.js'
import {sourceRepo, startTestCluster, type TestCluster, waitForEnd, waitForJob} from '../support/cluster.js'
import {processesMentioning} from '../support/processes.js'
import {type EventStream, openEventStream} from '../support/sse.js'

/** The bound for a cancel, wherever the job runs. */
const CANCEL_BOUND_MS = 1000
const NODE_TIMEOUT_SECONDS = 3
/** 300 files are 15 index batches of 20: with 200 ms between batches, an add runs about 3 s. */
const THROTTLE_MS = 200
const SLOW_FILES = 300

describe('server: a cluster of three nodes, when jobs are cancelled or a node dies', function () {
  this.timeout(60_000)
  let test: TestCluster
  let slowSource: string

  before(async function () {
    this.timeout(120_000)
    // One worker per node: three slow jobs occupy the three nodes, a fourth waits for a free one.
    test = await startTestCluster({
      nodes: 3,
      workers: 1,
      throttleMs: THROTTLE_MS,
      nodeTimeoutSeconds: NODE_TIMEOUT_SECONDS,
    })
    slowSource = sourceRepo(test, 'slow-source', SLOW_FILES)
  })

  after(async () => {
    await test?.stop()
  })

  const apiOf = (node: string | undefined): Api => test.apis[test.cluster.nodes.findIndex((n) => n.name === node)]
  const otherThan = (node: string | undefined): Api => test.apis[test.cluster.nodes.findIndex((n) => n.name !== node)]

  async function startAdd(api: Api, alias: string): Promise<string> {
    const response = await api.post('/api/admin/golden-repos', {repo_url: slowSource, alias}, test.adminToken)
    expect(response.status, response.text).to.equal(202)
    return response.body.job_id as string
  }

  /** Waits until the job indexes (past its first batch) and returns it, with the node running it. */
  async function indexing(api: Api, jobId: string): Promise<ClusterWireJob> {
    return waitForJob(api, test.adminToken, jobId, {
      what: 'to index',
      matches: (job) => job.current_phase === 'index' && /^[1-9]\d*\//.test(job.phase_detail ?? ''),
    })
  }

  it("shows a watcher on one node another node's job as it runs, progresses and completes", async () => {
    const streams = await Promise.all(
      test.apis.map((api) => openEventStream(`${api.baseUrl}/api/jobs/events`, test.adminToken)),
    )
    try {
      const jobId = await startAdd(test.apis[0], 'watched')
      const job = await waitForEnd(test.apis[0], test.adminToken, jobId, 30_000)
      expect(job.status, job.error ?? '').to.equal('completed')
      const watchers = streams.filter((_, at) => test.cluster.nodes[at].name !== job.node)
      expect(watchers).to.have.length(2)
      for (const stream of watchers) {
        await stream.next(
          (event) => JSON.parse(event.data).job_id === jobId && JSON.parse(event.data).status === 'completed',
        )
        const seen = seenOf(stream, jobId)
        expect(seen.statuses).to.include.members(['running', 'completed'])
        // Progress between the claim's 10 and the end's 100, relayed from the running node.
        expect(seen.progress.filter((progress) => progress > 10 && progress < 100)).to.have.length.above(0)
        expect([...new Set(seen.nodes)]).to.deep.equal([job.node])
      }
    } finally {
      for (const stream of streams) stream.close()
    }
  })

  it('ends a job running on one node within 1 s of a cancel on another, leaving no git process nor tmp dir', async () => {
    const jobId = await startAdd(test.apis[1], 'cancelled')
    const running = await indexing(test.apis[1], jobId)
    const canceller = otherThan(running.node)
    expect(canceller.baseUrl).to.not.equal(apiOf(running.node).baseUrl)
    const started = Date.now()
    const answer = await canceller.delete(`/api/jobs/${jobId}`, test.adminToken)
    expect(answer.status, answer.text).to.equal(200)
    const ended = await waitFor(
      'the cancel to end the job',
      async () => {
        const job = (await canceller.get<ClusterWireJob>(`/api/jobs/${jobId}`, test.adminToken)).body
        return job.status === 'running' ? undefined : job
      },
      5000,
      50,
    )
    const elapsedMs = Date.now() - started
    expect(ended).to.include({status: 'cancelled', node: running.node})
    expect(elapsedMs).to.be.below(CANCEL_BOUND_MS)
    const tmpDir = join(test.cluster.dataDir, 'tmp', jobId)
    expect(processesMentioning(tmpDir)).to.deep.equal([])
    expect(processesMentioning(slowSource)).to.deep.equal([])
    expect(existsSync(tmpDir)).to.equal(false)
    expect(existsSync(join(test.cluster.dataDir, 'golden', 'cancelled'))).to.equal(false)
    console.log(`      cancelled on ${nodeOf(canceller)}, ran on ${running.node}: ended in ${elapsedMs} ms`)
  })

  it("fails a killed node's running job, removes its tmp dir and runs the pending jobs on the others", async () => {
    // Three slow jobs take the three single-worker nodes; two more wait for a free slot.
    const slow = await Promise.all(['k1', 'k2', 'k3'].map((alias, at) => startAdd(test.apis[at], alias)))
    const running = await Promise.all(slow.map((jobId) => indexing(test.apis[0], jobId)))
    const pending = await Promise.all(['k4', 'k5'].map((alias, at) => startAdd(test.apis[at], alias)))
    expect(new Set(running.map((job) => job.node)).size, JSON.stringify(running.map((job) => job.node))).to.equal(3)
    // The victim is any node but node-1, whose health is read.
    const victim = running.find((job) => job.node !== 'node-1') as ClusterWireJob
    const victimNode = test.cluster.nodes.find((node) => node.name === victim.node)
    const tmpDir = join(test.cluster.dataDir, 'tmp', victim.job_id)
    expect(existsSync(tmpDir)).to.equal(true)
    process.kill(victimNode?.pid as number, 'SIGKILL')
    const killedAt = Date.now()

    const failed = await waitForEnd(test.apis[0], test.adminToken, victim.job_id, (NODE_TIMEOUT_SECONDS + 5) * 1000)
    const failedAfterMs = Date.now() - killedAt
    expect(failed).to.include({status: 'failed', error: `Job interrupted: node ${victim.node} stopped`})
    // The sweep cleans up before it fails the job: a failed job has no partial work left.
    expect(existsSync(tmpDir)).to.equal(false)
    expect(existsSync(join(test.cluster.dataDir, 'golden', `k${slow.indexOf(victim.job_id) + 1}`))).to.equal(false)

    const health = await test.apis[0].get<HealthWithNodes>('/health', test.adminToken)
    expect(health.body.status).to.equal('degraded')
    expect(health.body.nodes.find((node) => node.name === victim.node)).to.include({stale: true})
    expect(health.body.nodes.filter((node) => node.stale).map((node) => node.name)).to.deep.equal([victim.node])
    expect(health.body.reasons.join('\n')).to.include(`node(s) ${victim.node} stopped sending heartbeats`)

    const survivors = test.cluster.nodes.map((node) => node.name).filter((name) => name !== victim.node)
    for (const jobId of [...slow.filter((id) => id !== victim.job_id), ...pending]) {
      const job = await waitForEnd(test.apis[0], test.adminToken, jobId, 30_000)
      expect(job.status, `${jobId}: ${job.error}`).to.equal('completed')
      expect(survivors).to.include(job.node)
    }

    console.log(`      ${victim.node} killed: its job failed, its tmp dir gone, after ${failedAfterMs} ms`)
  })

  const nodeOf = (api: Api): string => test.cluster.nodes[test.apis.indexOf(api)].name
})

interface HealthWithNodes {
  nodes: {name: string; running: number; stale: boolean}[]
  reasons: string[]
  status: string
}

interface Seen {
  nodes: (string | undefined)[]
  progress: number[]
  statuses: string[]
}

/** What a stream received of one job. */
function seenOf(stream: EventStream, jobId: string): Seen {
  const jobs = stream.events
    .map((event) => JSON.parse(event.data) as ClusterWireJob)
    .filter((job) => job.job_id === jobId)
  return {
    statuses: jobs.map((job) => job.status),
    progress: jobs.filter((job) => job.status === 'running').map((job) => job.progress),
    // A pending job belongs to no node yet.
    nodes: jobs.filter((job) => job.status !== 'pending').map((job) => job.node),
  }
}
