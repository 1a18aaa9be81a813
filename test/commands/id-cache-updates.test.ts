import {expect} from 'chai'
import {rm, writeFile} from 'node:fs/promises'

import {idCachePath, type RecentJob, recentJobs} from '../../src/completion/id-cache.js'
import {behindNewerJobs, pythonIso, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {runCli, startWatchServer, useCliEnv, USER, type WatchServer} from '../helpers/servers/watch-harness.js'

/** Every command that learns a job's status tells the ID cache of its server and user, in every output mode. */
describe('commands: the job-ID cache follows what each command learned', function () {
  this.timeout(60_000)
  let watch: WatchServer
  let restoreEnv: () => void
  let key: {server: string; user: string}

  before(async () => {
    watch = await startWatchServer()
    restoreEnv = useCliEnv(watch)
    key = {server: watch.url, user: USER}
  })

  afterEach(async () => {
    await rm(idCachePath(watch.sandbox.configDir, key), {force: true})
  })

  after(async () => {
    restoreEnv()
    await watch.stop()
  })

  const cached = (): Promise<RecentJob[]> => recentJobs(watch.sandbox.configDir, key)

  it('`jobs status` remembers the job it showed, with --json and when given the full ID', async () => {
    const id = await watch.seed({status: 'running', operation_type: 'sync_repository', result: {alias: 'backend'}})
    const run = await runCli(['jobs', 'status', id, '--json'])
    expect(run.exitCode).to.equal(0)
    expect(await cached()).to.deep.equal([
      {job_id: id, job_type: 'sync_repository', status: 'running', repository: 'backend'},
    ])
  })

  it('`jobs cancel` remembers how the jobs ended: a cancelled job is no longer offered to cancel', async () => {
    const id = await watch.seed({status: 'pending', operation_type: 'sync_repository'})
    expect((await runCli(['jobs', 'list', '-q'])).stdout).to.include(id)
    expect((await cached()).find((job) => job.job_id === id)?.status).to.equal('queued')
    const cancel = await runCli(['jobs', 'cancel', id, '--yes', '--json'])
    expect(cancel.exitCode).to.equal(0)
    expect((await cached()).find((job) => job.job_id === id)?.status).to.equal('cancelled')
    const offered = await runCli(['jobs', 'recent-ids', '--cancellable'])
    expect(offered.stdout.split('\n')).not.to.include(id)
  })

  it('never fails a command when the cache cannot be written', async () => {
    const id = await watch.seed({status: 'completed'})
    // A file where the cache directory should be.
    await rm(`${watch.sandbox.configDir}/recent-jobs`, {recursive: true, force: true})
    await writeFile(`${watch.sandbox.configDir}/recent-jobs`, 'not a directory')
    try {
      const run = await runCli(['jobs', 'status', id])
      expect(run.exitCode).to.equal(0)
      expect(run.stderr).to.equal('')
    } finally {
      await rm(`${watch.sandbox.configDir}/recent-jobs`, {force: true})
    }
  })
})

/** Every request the fake answered: job reads, listings and feature probes. */
function requestsTo(fake: FakeCidx): number {
  return fake.jobReads.length + fake.listings.length + fake.healthChecks
}

describe('commands: a prefix of a job beyond every window of a real server', function () {
  this.timeout(60_000)
  const OLD_ID = '5d82755b-1111-4111-8111-111111111111'
  let fake: FakeCidx
  let sandbox: Sandbox

  before(async () => {
    const now = Date.now()
    fake = await startFakeCidx({
      paging: 'defect',
      jobs: behindNewerJobs([
        wireJob({job_id: OLD_ID, status: 'completed', created_at: pythonIso(new Date(now - 48 * 3_600_000))}),
      ]),
    })
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token})
  })

  after(async () => {
    await sandbox.remove()
    await fake.close()
  })

  it('is not found until the user has seen the job, then resolves from the cache in 2 requests or fewer', async () => {
    const before = await runCli(['jobs', 'status', '5d82755b'])
    expect(before.exitCode).to.equal(4)
    expect(before.stderr).to.contain('only the newest 50 jobs of each status')
    expect((await runCli(['jobs', 'status', OLD_ID, '--json'])).exitCode).to.equal(0)
    const sentBefore = requestsTo(fake)
    const after = await runCli(['jobs', 'status', '5d82755b'])
    expect(after.exitCode, after.stderr).to.equal(0)
    expect(after.stdout).to.contain(OLD_ID)
    expect(requestsTo(fake) - sentBefore).to.be.at.most(2)
  })
})
