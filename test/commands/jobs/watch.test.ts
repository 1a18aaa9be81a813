import {expect} from 'chai'

import type {Job} from '../../../src/jobs/job.js'

import {ON_CLUSTER} from '../../helpers/servers/local-server.js'
import {pushlessProxy} from '../../helpers/servers/loopback-proxy.js'
import {
  alphaIndexing,
  runCli,
  startWatchServer,
  useCliEnv,
  type WatchServer,
} from '../../helpers/servers/watch-harness.js'

const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

/** Status and percent of each job line (a job without repository: `<id>  <type>  <status>  <percent>...`). */
function statusAndProgress(stdout: string): string[][] {
  return lines(stdout)
    .filter((line) => ISO_LINE.test(line))
    .map((line) => line.replace(ISO_LINE, '').split('  ').slice(2, 4))
}

/** Calls `act` once, the first time `matches` is true of everything printed so far. */
function once(matches: (all: string) => boolean, act: () => unknown): (chunk: string, all: string) => void {
  let done = false
  return (_chunk, all) => {
    if (done || !matches(all)) return
    done = true
    void act()
  }
}

describe('commands: jobs watch (against the local server)', function () {
  this.timeout(90_000)

  describe('on one server', () => {
    let watch: WatchServer
    let restoreEnv: () => void

    before(async () => {
      watch = await startWatchServer({goldenFiles: 100, jobThrottleMs: 40})
      restoreEnv = useCliEnv(watch)
    })

    after(async () => {
      restoreEnv()
      await watch.stop()
    })

    it('watches jobs to their end: one timestamped plain line per change, then a summary (exit 0)', async () => {
      // The wire names a job's repository in its result only.
      const a = await watch.seed(alphaIndexing())
      const b = await watch.seed({
        status: 'pending',
        progress: 0,
        operation_type: 'add_golden_repo',
        result: {alias: 'beta'},
      })
      const steps = [
        () => watch.update(a, {progress: 60, phase_detail: '60/100 files'}),
        () => watch.update(b, {status: 'running', progress: 10, started_at: new Date()}),
        () => watch.update(a, {status: 'completed', progress: 100, completed_at: new Date()}),
        () =>
          watch.update(b, {status: 'failed', completed_at: new Date(), error: 'clone failed: repository not found'}),
      ]
      // Each change is made once the previous one has shown.
      let shown = 0
      const {stdout, stderr, exitCode} = await runCli(['jobs', 'watch', a.slice(0, 8), b], (_chunk, all) => {
        const count = lines(all).length
        if (count >= 2 + shown && shown < steps.length) void steps[shown++]()
      })
      expect(exitCode).to.equal(0)
      expect(stderr).to.equal('')
      // eslint-disable-next-line no-control-regex -- no escape sequence may reach a pipe: the ESC byte is what this checks for
      expect(stdout).not.to.match(/\u001B\[/)
      const output = lines(stdout)
      expect(output).to.have.length(7)
      for (const line of output.slice(0, 6)) expect(line).to.match(ISO_LINE)
      const body = output.map((line) => line.replace(ISO_LINE, ''))
      // No ETA yet: the CLI has not seen the job make progress over time.
      expect(body[0]).to.equal(`${a}  sync_repository  alpha  running  20%  index 20/100`)
      expect(body[1]).to.equal(`${b}  add_golden_repo  beta  queued  0%`)
      expect(body[2]).to.equal(`${a}  sync_repository  alpha  running  60%  index 60/100`)
      expect(body[3]).to.match(new RegExp(`^${b}  add_golden_repo  beta  running  10%`))
      expect(body[4]).to.match(new RegExp(`^${a}  sync_repository  alpha  completed  100%  in \\d+s$`))
      expect(body[5]).to.match(
        new RegExp(`^${b}  add_golden_repo  beta  failed  10%  in \\d+s: clone failed: repository not found$`),
      )
      expect(output[6]).to.equal('Done: 1 completed, 1 failed.')
    })

    it('--json prints one normalized job per line per change and nothing else', async () => {
      const id = await watch.activate('json-copy')
      const {stdout, exitCode} = await runCli(['jobs', 'watch', id, '--json'])
      expect(exitCode).to.equal(0)
      const jobs = lines(stdout).map((line) => JSON.parse(line) as Job)
      expect(jobs.length).to.be.at.least(3)
      for (const job of jobs)
        expect(job).to.have.all.keys(
          'job_id',
          'job_type',
          'description',
          'status',
          'progress',
          'created_at',
          'started_at',
          'completed_at',
          'user_id',
          'repository',
          'node',
          'error_message',
          'result',
          'progress_detail',
        )
      expect(new Set(jobs.map((job) => job.job_id))).to.deep.equal(new Set([id]))
      expect(jobs.at(-1)).to.include({status: 'completed', progress: 100, job_type: 'activate_repository'})
      // A real job seen working, not just its end.
      expect(jobs.some((job) => job.status === 'running')).to.equal(true)
    })

    const single: [string, number][] = [
      ['completed', 0],
      ['failed', 10],
      ['cancelled', 11],
      ['completed_partial', 12],
    ]
    for (const [status, code] of single) {
      it(`--exit-status exits ${code} for a job that ended ${status}`, async () => {
        const id = await watch.seed({status: 'running', progress: 30})
        const {exitCode, stdout} = await runCli(
          ['jobs', 'watch', id, '--exit-status'],
          once(
            (all) => all.includes(id),
            () => watch.update(id, {status, progress: 100}),
          ),
        )
        expect(exitCode).to.equal(code)
        expect(lines(stdout).at(-1)).to.equal(`Done: 1 ${status}.`)
      })
    }

    it('--exit-status: the worst outcome wins; without it, watching to the end exits 0', async () => {
      const ids: string[] = []
      for (const status of ['completed_partial', 'cancelled', 'failed', 'completed'])
        ids.push(await watch.seed({status, progress: 100}))
      expect((await runCli(['jobs', 'watch', ...ids, '--exit-status'])).exitCode).to.equal(10)
      expect((await runCli(['jobs', 'watch', ...ids.slice(0, 2), '--exit-status'])).exitCode).to.equal(11)
      expect((await runCli(['jobs', 'watch', ...ids])).exitCode).to.equal(0)
    })

    it('with no ID follows the active jobs of the chosen type, including one that starts meanwhile', async () => {
      const wanted = await watch.seed({status: 'running', operation_type: 'reindex'})
      const other = await watch.seed({status: 'running', operation_type: 'sync_repository'})
      let late = ''
      let seeding: Promise<void> | undefined
      let ending: Promise<void> | undefined
      const {stdout, exitCode} = await runCli(
        ['jobs', 'watch', '--type', 'reindex', '--interval', '0.2s'],
        (_chunk, all) => {
          // Each change once: output keeps coming while the seed or the updates are stored.
          if (!seeding && all.includes(wanted))
            seeding = watch.seed({status: 'pending', operation_type: 'reindex'}).then((id) => {
              late = id
            })
          else if (!ending && late && all.includes(late) && !all.includes('Done'))
            ending = (async () => {
              await watch.update(wanted, {status: 'completed', progress: 100})
              await watch.update(late, {status: 'cancelled'})
            })()
        },
      )
      expect(exitCode).to.equal(0)
      expect(stdout).to.contain(wanted).and.contain(late).and.not.contain(other)
      expect(lines(stdout).at(-1)).to.equal('Done: 1 completed, 1 cancelled.')
      await watch.update(other, {status: 'completed'})
    })

    it('says so and exits 0 when there is no active job to watch', async () => {
      const {stdout, exitCode} = await runCli(['jobs', 'watch', '--type', 'no_such_type'])
      expect(exitCode).to.equal(0)
      expect(stdout).to.equal('No active jobs to watch.\n')
    })

    it('gives up after --timeout with exit 124, the job untouched', async () => {
      const id = await watch.seed({status: 'running'})
      const {stderr, exitCode} = await runCli(['jobs', 'watch', id, '--timeout', '1s'])
      expect(exitCode).to.equal(124)
      expect(stderr).to.contain('Gave up waiting after 1s')
      expect((await watch.job(id)).status).to.equal('running')
      await watch.update(id, {status: 'completed'})
    })

    it('stops watching on Ctrl-C (SIGINT) with exit 130, the job going on', async () => {
      const id = await watch.seed({status: 'running'})
      const listeners = process.listenerCount('SIGINT')
      // Delivered in-process as the signal would be: the command's handler must take it (oclif would exit 1).
      const {stderr, exitCode} = await runCli(
        ['jobs', 'watch', id],
        once(
          (all) => all.includes(id),
          () => process.emit('SIGINT', 'SIGINT'),
        ),
      )
      expect(exitCode).to.equal(130)
      expect(stderr).to.contain('Stopped watching (the jobs keep running).')
      // Its handler is gone with it.
      expect(process.listenerCount('SIGINT')).to.equal(listeners)
      expect((await watch.job(id)).status).to.equal('running')
      await watch.update(id, {status: 'completed'})
    })

    it('polls when the server has no push channel, and with --no-push', async () => {
      const proxy = await pushlessProxy(watch.url, {hideFeature: true})
      try {
        for (const [serverUrl, args] of [
          [proxy.url, []],
          [watch.url, ['--no-push']],
        ] as const) {
          // Credentials from the environment go with the server URL of the environment.
          process.env.CIDX_SERVER_URL = serverUrl
          const id = await watch.seed({status: 'running', progress: 10})
          const {stdout, exitCode} = await runCli(
            ['jobs', 'watch', id, '--interval', '0.2s', ...args],
            (_chunk, all) => {
              if (lines(all).length === 1) void watch.update(id, {progress: 55})
              else if (lines(all).length === 2) void watch.update(id, {status: 'completed', progress: 100})
            },
          )
          expect(exitCode).to.equal(0)
          expect(statusAndProgress(stdout)).to.deep.equal([
            ['running', '10%'],
            ['running', '55%'],
            ['completed', '100%'],
          ])
          expect(lines(stdout).at(-1)).to.equal('Done: 1 completed.')
        }
      } finally {
        process.env.CIDX_SERVER_URL = watch.url
        await proxy.close()
      }
    })

    it('refuses bad durations and too short an interval (exit 2), and unknown jobs (exit 4)', async () => {
      expect((await runCli(['jobs', 'watch', '--interval', '0.01s'])).exitCode).to.equal(2)
      expect((await runCli(['jobs', 'watch', '--timeout', 'later'])).exitCode).to.equal(2)
      expect((await runCli(['jobs', 'watch', '--reconnect-grace', '-1'])).exitCode).to.equal(2)
      expect((await runCli(['jobs', 'watch', '00000000-0000-4000-8000-000000000000'])).exitCode).to.equal(4)
    })
  })

  describe('when the server goes away (own server, restarted)', () => {
    let watch: WatchServer
    let restoreEnv: () => void
    let restarting: Promise<void> | undefined
    /** The server comes back once, however often the output says "reconnecting". */
    function restartOnce(): Promise<void> {
      restarting ??= watch.restart()
      return restarting
    }

    beforeEach(async () => {
      restarting = undefined
      // Access tokens live 2 s, so the watch outlives its first token.
      watch = await startWatchServer({accessTokenTtlSeconds: 2})
      restoreEnv = useCliEnv(watch)
    })

    afterEach(async () => {
      restoreEnv()
      await watch.stop()
    })

    it('renews an expired token silently during a long watch', async () => {
      const id = await watch.seed({status: 'running', progress: 10})
      const {stdout, stderr, exitCode} = await runCli(
        ['jobs', 'watch', id, '--interval', '0.25s'],
        once(
          (all) => all.includes(id),
          async () => {
            await new Promise((resolve) => {
              setTimeout(resolve, 3000)
            })
            await watch.update(id, {progress: 80})
            await new Promise((resolve) => {
              setTimeout(resolve, 2500)
            })
            await watch.update(id, {status: 'completed', progress: 100})
          },
        ),
      )
      expect(exitCode).to.equal(0)
      expect(stderr).to.equal('')
      expect(statusAndProgress(stdout)).to.deep.equal([
        ['running', '10%'],
        ['running', '80%'],
        ['completed', '100%'],
      ])
    })

    it('shows "reconnecting" while the server is away and resumes when it is back', async () => {
      const id = await watch.seed({status: 'running', progress: 10})
      const {stdout, exitCode} = await runCli(['jobs', 'watch', id, '--interval', '0.25s'], (_chunk, all) => {
        if (lines(all).length === 1 && !all.includes('reconnecting')) void watch.close()
        if (all.includes('reconnecting...') && !all.includes('reconnected')) void restartOnce()
      })
      expect(exitCode).to.equal(0)
      const body = lines(stdout).map((line) => line.replace(ISO_LINE, ''))
      expect(body[1]).to.match(/^server unreachable \(.+\); reconnecting\.\.\.$/)
      expect(body[2]).to.match(/^reconnected after \d+s$/)
      // The restart orphaned the running job; the watch shows how it ended, in the words of its store:
      // a cluster node sweeps what its previous life left running as a dead node's jobs.
      const reason = ON_CLUSTER ? `Job interrupted: node ${watch.server.node} stopped` : 'Orphaned by server restart'
      expect(body[3]).to.match(new RegExp(`^${id}  sync_repository  failed  10%.*${reason}$`))
    })

    it('exits 5 when the server stays away longer than --reconnect-grace', async () => {
      const id = await watch.seed({status: 'running'})
      const {stderr, exitCode} = await runCli(
        ['jobs', 'watch', id, '--interval', '0.2s', '--reconnect-grace', '1s'],
        once(
          (all) => all.includes(id),
          () => watch.close(),
        ),
      )
      expect(exitCode).to.equal(5)
      expect(stderr).to.match(/unreachable for \d+ s/)
    })
  })
})
