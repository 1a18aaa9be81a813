import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {stripAnsi} from '../../src/ui/terminal.js'
import {useCliSession} from '../helpers/cli-session.js'
import {pythonIso, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {REPO_ROOT, runCli} from '../helpers/servers/watch-harness.js'

/** The ID shape some jobs of a real server have: 32 hex digits, no dashes. */
const DASHLESS = 'bbbf86ac03d04df481ef48b1ce20ed8f'

/** The value after a label of the status view (`Status      running` → `running`). */
function field(stdout: string, label: string): string | undefined {
  return stdout
    .split('\n')
    .find((text) => text.startsWith(`${label} `))
    ?.slice(12)
}

/** A job the fake runs: started a minute ago, at the server's own starting progress. */
function runningJob(jobId: string) {
  return wireJob({
    job_id: jobId,
    status: 'running',
    progress: 10,
    started_at: pythonIso(new Date(Date.now() - 60_000)),
    completed_at: null,
  })
}

describe('commands: the job shapes a running CIDX server produces (against the fake)', function () {
  this.timeout(30_000)
  let fake: FakeCidx
  // Before the session's hooks: the session's environment names the fake's URL.
  beforeEach(async () => {
    fake = await startFakeCidx({paging: 'defect', token: 'observed-token'})
  })

  afterEach(async () => {
    await fake.close()
  })
  const session = useCliSession(() => ({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: 'observed-token'}))

  /** Runs `args` while the fake ends the job `jobId` as `how` shortly after the start. */
  async function whileItEnds(args: string[], jobId: string, how: Parameters<FakeCidx['finish']>[1]) {
    const timer = setTimeout(() => fake.finish(jobId, how), 300)
    try {
      return await runCli(args)
    } finally {
      clearTimeout(timer)
    }
  }

  it('a partial result filed as completed with result.partial is partial: status --wait exits 12', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    const {exitCode, stdout} = await whileItEnds(['jobs', 'status', DASHLESS, '--wait'], DASHLESS, 'partial')
    expect(exitCode).to.equal(12)
    expect(field(stdout, 'Status')).to.equal('completed_partial')
  })

  it('watch --exit-status treats it the same way (exit 12)', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    const {exitCode} = await whileItEnds(['jobs', 'watch', DASHLESS, '--exit-status'], DASHLESS, 'partial')
    expect(exitCode).to.equal(12)
  })

  it('a failure as the job tracker writes it (error set, progress 0, no result): exit 10 with the error', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    const {exitCode, stdout} = await whileItEnds(['jobs', 'status', DASHLESS, '--wait'], DASHLESS, {
      error: 'git clone failed',
    })
    expect(exitCode).to.equal(10)
    expect(field(stdout, 'Error')).to.equal('git clone failed')
    expect(field(stdout, 'Progress')).to.equal('0%')
  })

  it('after a restart, a job interrupted by it is failed with the server words as they are', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    fake.restart()
    const {exitCode, stdout} = await runCli(['jobs', 'status', DASHLESS])
    expect(exitCode).to.equal(0)
    expect(field(stdout, 'Status')).to.equal('failed')
    expect(field(stdout, 'Error')).to.equal('Job interrupted by server restart')
  })

  it('a job cancelled while running ends with no words: the outcome stands alone', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    const {exitCode, stdout} = await runCli(['jobs', 'cancel', DASHLESS, '--yes'])
    expect(exitCode).to.equal(0)
    expect(stdout).to.match(new RegExp(`^${DASHLESS}  sync_repository  cancelled in [\\d.]+ s$`, 'm'))
    expect(stdout).not.to.include('during execution')
    expect(fake.jobs[0]).to.include({status: 'cancelled', error: null, progress: 0})
  })

  it('a table on a terminal shortens a dashless ID like a UUID, and the short form finds the job', async () => {
    fake.jobs.push(runningJob(DASHLESS))
    session.asTerminal(120)
    // runCli makes stdout a pipe: the table is asked for as on a terminal.
    const {error, stdout} = await runCommand(['jobs', 'list'], {root: REPO_ROOT})
    expect(error).to.equal(undefined)
    expect(stripAnsi(stdout).split('\n')[1]).to.match(/^bbbf86ac /)
    const status = await runCli(['jobs', 'status', 'bbbf86ac', '--json'])
    expect(JSON.parse(status.stdout)).to.include({job_id: DASHLESS})
  })

  it('--status completed_partial finds the partial jobs a real server files under completed', async () => {
    fake.jobs.push(runningJob(DASHLESS), runningJob('3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'))
    fake.finish(DASHLESS, 'partial')
    fake.finish('3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44', 'completed')
    const partial = await runCli(['jobs', 'list', '--status', 'completed_partial', '--json'])
    expect(JSON.parse(partial.stdout).map((job: {job_id: string}) => job.job_id)).to.deep.equal([DASHLESS])
    const completed = await runCli(['jobs', 'list', '--status', 'completed', '--json'])
    expect(JSON.parse(completed.stdout).map((job: {status: string}) => job.status)).to.deep.equal(['completed'])
  })
})
