import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import type {CancelResult} from '../../src/cancel/cancel.js'

import {TERMINAL} from '../../server/test/support/api.js'
import {isAlive} from '../../server/test/support/processes.js'
import {cancel, exitCodeOf, useCancelServer, waitFor} from '../helpers/servers/cancel-harness.js'
import {ADMIN_PASSWORD, useCliEnv, USER, type WatchServer} from '../helpers/servers/watch-harness.js'

/**
 * `jobs cancel` against the local server over real HTTP, with real jobs: what it cancels (by ID,
 * prefix or filter), how long it waits, and what it reports for each job (text, --json, exit code).
 */

/** A seeded job's repository: the alias travels in `result`, as the server reports a repository job's repository. */
const ofRepository = (alias: string) => ({result: {alias}})

describe('commands: jobs cancel (against the local server)', function () {
  this.timeout(60_000)
  const cancelServer = useCancelServer()
  const {hangingClone, indexingActivation, leftovers, nextAlias, status} = cancelServer
  let watch: WatchServer

  before(() => {
    watch = cancelServer.watch
  })

  it('cancels a pending job: it ends cancelled at once, never started', async () => {
    const running = await indexingActivation()
    const pending = await watch.activate(nextAlias('copy'))
    expect(await status(pending)).to.equal('pending')
    const {stdout, error} = await cancel('--yes', pending)
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.include('1 job(s) to cancel:')
    expect(stdout).to.match(
      // The server gives no words for a pending job it cancelled: the outcome stands alone.
      new RegExp(`${pending}  activate_repository  copy-\\d+  cancelled in [\\d.]+ s$`, 'm'),
    )
    expect(stdout).to.include('1 cancelled.')
    const job = await watch.job(pending)
    expect(job).to.include({status: 'cancelled', started_at: null})
    expect(await status(running)).to.equal('running')
  })

  it('cancels a running index: it waits until the job has ended cancelled, and nothing is left behind', async () => {
    const alias = nextAlias('copy')
    const jobId = await indexingActivation(alias)
    const {stdout, error} = await cancel('--yes', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.include('cancelled in')
    expect(stdout).to.include('Job cancelled during execution')
    // The command returned only once the server showed the job ended: no further wait needed.
    expect(await watch.job(jobId)).to.include({status: 'cancelled', error: 'Job cancelled during execution'})
    expect(watch.server.testing.childPids(jobId)).to.deep.equal([])
    expect(await leftovers()).to.deep.equal({tmp: [], staging: []})
    expect(existsSync(join(watch.root, 'data', 'activated', USER, alias))).to.equal(false)
  })

  it('cancels a running clone within 5 s: git and its helpers are gone, no partial clone is left', async () => {
    const clone = await hangingClone()
    const restoreAlice = useCliEnv(watch, {CIDX_USERNAME: 'admin', CIDX_PASSWORD: ADMIN_PASSWORD})
    try {
      const started = Date.now()
      const {stdout, error} = await cancel('--yes', '--json', clone.jobId)
      expect(Date.now() - started).to.be.below(5000)
      expect(exitCodeOf(error)).to.equal(0)
      const [result] = JSON.parse(stdout) as CancelResult[]
      expect(result).to.include({job_id: clone.jobId, outcome: 'cancelled', final_status: 'cancelled'})
      expect(watch.server.testing.childPids(clone.jobId)).to.deep.equal([])
      expect(clone.pids.filter((pid) => isAlive(pid))).to.deep.equal([])
      expect((await leftovers()).tmp).to.deep.equal([])
      expect(existsSync(join(watch.root, 'data', 'golden', clone.alias))).to.equal(false)
    } finally {
      restoreAlice()
      await clone.close()
    }
  })

  it('reports a finished job as already finished, with its status, and exits 6', async () => {
    const jobId = await watch.seed({
      status: 'completed',
      started_at: new Date(Date.now() - 5000),
      completed_at: new Date(),
      progress: 100,
    })
    const {stdout, error} = await cancel('--yes', '--json', jobId)
    expect(exitCodeOf(error)).to.equal(6)
    expect(JSON.parse(stdout)).to.deep.equal([
      {
        job_id: jobId,
        outcome: 'already_finished',
        final_status: 'completed',
        seconds: (JSON.parse(stdout) as CancelResult[])[0].seconds,
        message: 'Cannot cancel job in completed status',
      },
    ])
    expect(await status(jobId)).to.equal('completed')
  })

  it("refuses another user's job with exit 4 and leaves it alone", async () => {
    const jobId = (await watch.server.testing.insertJob({username: 'admin', status: 'running', started_at: new Date()}))
      .job_id
    const {stderr, error} = await cancel('--yes', jobId)
    expect(exitCodeOf(error)).to.equal(4)
    expect(stderr).to.include(`No job found for "${jobId}"`)
    // Read as the admin who owns it, over HTTP: the same on either store.
    const response = await fetch(`${watch.url}/api/jobs/${jobId}`, {
      headers: {authorization: `Bearer ${await cancelServer.adminToken()}`},
    })
    expect(await response.json()).to.include({status: 'running'})
  })

  it('cancels by filter: only the active jobs that match, the selection shown first', async () => {
    const matching = [
      await watch.seed({status: 'pending', ...ofRepository('frontend')}),
      await watch.seed({status: 'running', started_at: new Date(), ...ofRepository('frontend')}),
    ]
    const otherRepo = await watch.seed({status: 'pending', ...ofRepository('backend')})
    const finished = await watch.seed({status: 'failed', error: 'boom', ...ofRepository('frontend')})
    const {stdout, error} = await cancel('--repository', 'frontend', '--yes')
    expect(exitCodeOf(error)).to.equal(0)
    const [heading, header, ...rest] = stdout.split('\n')
    expect(heading).to.equal('2 job(s) to cancel:')
    expect(header).to.match(/^ID\s+TYPE\s+STATUS\s+REPOSITORY\s+USER\s+CREATED$/)
    expect(
      rest
        .slice(0, 2)
        .map((line) => line.split(/\s+/)[0])
        .sort(),
    ).to.deep.equal([...matching].sort())
    expect(stdout).to.include('2 cancelled.')
    for (const jobId of matching) expect(await status(jobId)).to.equal('cancelled')
    expect(await status(otherRepo)).to.equal('pending')
    expect(await status(finished)).to.equal('failed')
  })

  it('says so and exits 0 when a filter selects nothing', async () => {
    await watch.seed({status: 'completed', result: {alias: 'quiet'}})
    const {stdout, error} = await cancel('--repository', 'quiet', '--yes')
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.equal('No jobs match: nothing to cancel.\n')
    const json = await cancel('--repository', 'quiet', '--yes', '--json')
    expect(JSON.parse(json.stdout)).to.deep.equal([])
  })

  it('--no-wait returns once the server accepted; the running job then stops on its own', async () => {
    const jobId = await indexingActivation()
    const {stdout, error} = await cancel('--yes', '--no-wait', '--json', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    const results = JSON.parse(stdout) as CancelResult[]
    expect(results).to.have.length(1)
    expect(results[0]).to.include({job_id: jobId, outcome: 'requested', final_status: null})
    await waitFor('the job to end', async () => (TERMINAL.has(await status(jobId)) ? true : undefined), 5000)
    expect(await status(jobId)).to.equal('cancelled')
  })

  it('--json prints one object per job with exactly job_id, outcome, final_status, seconds, message', async () => {
    const pending = await watch.seed({status: 'pending'})
    const done = await watch.seed({status: 'completed', completed_at: new Date()})
    const {stdout, error} = await cancel('--yes', '--json', pending, done)
    expect(exitCodeOf(error)).to.equal(6)
    const results = JSON.parse(stdout) as CancelResult[]
    expect(results.map((result) => Object.keys(result))).to.deep.equal([
      ['job_id', 'outcome', 'final_status', 'seconds', 'message'],
      ['job_id', 'outcome', 'final_status', 'seconds', 'message'],
    ])
    expect(results.map((result) => [result.job_id, result.outcome, result.final_status])).to.deep.equal([
      [pending, 'cancelled', 'cancelled'],
      [done, 'already_finished', 'completed'],
    ])
    for (const result of results) expect(result.seconds).to.be.a('number').and.at.least(0)
    expect(stdout).to.not.include(ADMIN_PASSWORD)
  })

  it('takes unique ID prefixes (the short IDs of the table)', async () => {
    const jobId = await watch.seed({status: 'pending', job_id: `abcd1234-${'0'.repeat(4)}-4000-8000-${'1'.repeat(12)}`})
    const {stdout, error} = await cancel('--yes', '--json', 'abcd1234')
    expect(exitCodeOf(error)).to.equal(0)
    expect((JSON.parse(stdout) as CancelResult[])[0]).to.include({job_id: jobId, outcome: 'cancelled'})
  })

  it('is a usage error (exit 2) with neither IDs nor a filter, or with both', async () => {
    const none = await cancel('--yes')
    expect(exitCodeOf(none.error)).to.equal(2)
    expect(none.stderr).to.include('Name the jobs to cancel')
    const both = await cancel('--yes', 'abcd1234', '--status', 'running')
    expect(exitCodeOf(both.error)).to.equal(2)
    expect(both.stderr).to.include('not both')
    const badTimeout = await cancel('--yes', '--wait-timeout', 'soon', 'abcd1234')
    expect(exitCodeOf(badTimeout.error)).to.equal(2)
  })
})
