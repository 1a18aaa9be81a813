import {expect} from 'chai'

import type {Job} from '../../../src/jobs/job.js'

import {runCli, startWatchServer, useCliEnv, type WatchServer} from '../../helpers/servers/watch-harness.js'

const MINUTE = 60_000

/** The value after a label of the status view (`Status      running` → `running`). */
function field(stdout: string, label: string): string | undefined {
  const line = stdout.split('\n').find((text) => text.startsWith(`${label} `))
  return line?.slice(12)
}

describe('commands: jobs status (against the local server)', function () {
  this.timeout(60_000)
  let watch: WatchServer
  let restoreEnv: () => void

  before(async () => {
    watch = await startWatchServer({goldenFiles: 60, jobThrottleMs: 30})
    restoreEnv = useCliEnv(watch)
  })

  after(async () => {
    restoreEnv()
    await watch.stop()
  })

  const wireStatuses = [
    'pending',
    'running',
    'resolving_prerequisites',
    'completed',
    'completed_partial',
    'failed',
    'cancelled',
    'frobnicating',
  ]
  for (const wireStatus of wireStatuses) {
    it(`shows a ${wireStatus} job as it is, and --json prints the normalized job`, async () => {
      const now = Date.now()
      const ended = ['cancelled', 'completed', 'completed_partial', 'failed'].includes(wireStatus)
      const id = await watch.seed({
        status: wireStatus,
        operation_type: 'sync_repository',
        created_at: new Date(now - 10 * MINUTE),
        started_at: wireStatus === 'pending' ? null : new Date(now - 9 * MINUTE),
        completed_at: ended ? new Date(now - 4 * MINUTE) : null,
        progress: ended ? 100 : 40,
        current_phase: ended ? null : 'semantic',
        phase_detail: ended ? null : '200/500 files (40%) | 12.0 files/s',
        result: {alias: 'backend', files: 500},
        error: wireStatus === 'failed' ? 'git fetch failed\nfatal: unable to access the remote' : null,
      })
      const shown = wireStatus === 'pending' ? 'queued' : wireStatus
      const human = await runCli(['jobs', 'status', id])
      expect(human.exitCode).to.equal(0)
      // eslint-disable-next-line no-control-regex -- no escape sequence may reach a pipe: the ESC byte is what this checks for
      expect(human.stdout).not.to.match(/\u001B\[/)
      expect(field(human.stdout, 'Job')).to.equal(id)
      expect(field(human.stdout, 'Status')).to.equal(shown)
      expect(field(human.stdout, 'Type')).to.equal('sync_repository')
      expect(field(human.stdout, 'Repository')).to.equal('backend')
      expect(field(human.stdout, 'User')).to.equal('alice')
      expect(field(human.stdout, 'Created')).to.match(/\(10m ago\)$/)
      expect(field(human.stdout, 'Completed')).to.match(ended ? /\(4m ago\)$/ : /^-$/)
      expect(field(human.stdout, 'Duration')).to.equal(ended ? '5m 00s' : wireStatus === 'pending' ? '-' : '9m 00s')
      expect(human.stdout).to.contain('Result\n  alias: backend\n  files: 500')
      if (!ended) {
        expect(field(human.stdout, 'Progress')).to.equal('40%')
        expect(field(human.stdout, 'Step')).to.equal('semantic 200/500')
        expect(field(human.stdout, 'Detail')).to.equal('200/500 files (40%) | 12.0 files/s')
      }

      // One snapshot says nothing about pace: no ETA, for a running job neither.
      expect(field(human.stdout, 'ETA')).to.equal(undefined)
      if (wireStatus === 'failed')
        expect(human.stdout).to.contain('Error       git fetch failed\n            fatal: unable to access the remote')

      const json = await runCli(['jobs', 'status', id, '--json'])
      expect(json.exitCode).to.equal(0)
      const job = JSON.parse(json.stdout) as Job
      expect(job).to.include({
        job_id: id,
        status: shown,
        job_type: 'sync_repository',
        user_id: 'alice',
        repository: 'backend',
      })
      expect(job.progress_detail.current_step).to.equal(ended ? null : 'semantic')
    })
  }

  it('takes the reason of a failed job from its result when the error is empty', async () => {
    const id = await watch.seed({
      status: 'failed',
      progress: 100,
      error: null,
      result: {success: false, error: 'Repository not found'},
    })
    const {stdout} = await runCli(['jobs', 'status', id])
    expect(field(stdout, 'Error')).to.equal('Repository not found')
  })

  describe('naming the job by a prefix', () => {
    before(async () => {
      await watch.seed({job_id: 'dada0001-1111-4111-8111-111111111111', status: 'completed'})
      await watch.seed({
        job_id: 'dada0002-2222-4222-8222-222222222222',
        status: 'failed',
        operation_type: 'add_golden_repo',
      })
      await watch.seed({job_id: 'fade0001-3333-4333-8333-333333333333', status: 'running'})
    })

    it('resolves a unique prefix', async () => {
      const {stdout, exitCode} = await runCli(['jobs', 'status', 'fade0001'])
      expect(exitCode).to.equal(0)
      expect(field(stdout, 'Job')).to.equal('fade0001-3333-4333-8333-333333333333')
    })

    it('exits 2 on an ambiguous prefix and lists the candidates', async () => {
      const {stderr, stdout, exitCode} = await runCli(['jobs', 'status', 'dada'])
      expect(exitCode).to.equal(2)
      expect(stdout).to.equal('')
      expect(stderr).to.contain('"dada" matches 2 jobs')
      expect(stderr).to.match(/dada0001 +sync_repository +completed/)
      expect(stderr).to.match(/dada0002 +add_golden_repo +failed/)
    })

    it('exits 4 when nothing matches, and 2 when the prefix is too short', async () => {
      expect((await runCli(['jobs', 'status', 'eeee0000'])).exitCode).to.equal(4)
      const json = await runCli(['jobs', 'status', 'eeee0000', '--json'])
      expect(JSON.parse(json.stdout).error).to.include({kind: 'not_found', exit_code: 4})
      expect((await runCli(['jobs', 'status', 'dad'])).exitCode).to.equal(2)
    })
  })

  describe('--wait', () => {
    it('follows a real job to its end, then shows it (exit 0)', async () => {
      const id = await watch.activate('wait-copy')
      const {stdout, exitCode} = await runCli(['jobs', 'status', id.slice(0, 8), '--wait'])
      expect(exitCode).to.equal(0)
      expect(field(stdout, 'Status')).to.equal('completed')
      expect(field(stdout, 'Progress')).to.equal('100%')
    })

    const outcomes: [string, number][] = [
      ['failed', 10],
      ['cancelled', 11],
      ['completed_partial', 12],
    ]
    for (const [status, code] of outcomes) {
      it(`exits ${code} when the job ends ${status}; --json prints the final job`, async () => {
        const id = await watch.seed({status: 'running', progress: 50})
        // Ended a moment after the command starts waiting (had it already ended, the outcome would be the same).
        const timer = setTimeout(() => {
          void watch.update(id, {status, progress: 100, completed_at: new Date()})
        }, 1000)
        const {stdout, exitCode} = await runCli(['jobs', 'status', id, '--wait', '--json'])
        clearTimeout(timer)
        expect(exitCode).to.equal(code)
        expect(JSON.parse(stdout)).to.include({job_id: id, status})
      })
    }

    it('gives up after --timeout with exit 124, showing the job as it is then, and leaves it running', async () => {
      const id = await watch.seed({status: 'running', progress: 50})
      const {stdout, stderr, exitCode} = await runCli(['jobs', 'status', id, '--wait', '--timeout', '1s'])
      expect(exitCode).to.equal(124)
      expect(stderr).to.equal('Error: Gave up waiting after 1s. The job is running (50%).\n')
      expect(field(stdout, 'Status')).to.equal('running')
      expect(field(stdout, 'Progress')).to.equal('50%')
      expect((await watch.job(id)).status).to.equal('running')
      const json = await runCli(['jobs', 'status', id, '--wait', '--timeout', '1s', '--json'])
      expect(JSON.parse(json.stdout).error).to.include({
        kind: 'timeout',
        message: 'Gave up waiting after 1s. The job is running (50%).',
      })
    })

    it('names the missing job ID and the usage (exit 2)', async () => {
      const {stderr, exitCode} = await runCli(['jobs', 'status'])
      expect(exitCode).to.equal(2)
      expect(stderr).to.equal(
        'Error: Missing the job ID: cidx jobs status JOB_ID.\nSee cidx jobs status --help for usage.\n',
      )
    })

    it('refuses --timeout without --wait, and a timeout that is not a duration (exit 2)', async () => {
      const id = await watch.seed({status: 'running'})
      expect((await runCli(['jobs', 'status', id, '--timeout', '5s'])).exitCode).to.equal(2)
      expect((await runCli(['jobs', 'status', id, '--wait', '--timeout', 'soon'])).exitCode).to.equal(2)
    })
  })
})
