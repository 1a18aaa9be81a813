import {expect} from 'chai'

import type {Job} from '../../../src/jobs/job.js'

import {runCli, startWatchServer, useCliEnv, type WatchServer} from '../../helpers/servers/watch-harness.js'

const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/
const IDLE = 'No active jobs; waiting for new ones (Ctrl-C to stop)...'

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}

/** The lines about one job, without their timestamps. */
function jobLines(stdout: string, id: string): string[] {
  return lines(stdout)
    .map((line) => line.replace(ISO_LINE, ''))
    .filter((line) => line.startsWith(`${id}  `))
}

describe('commands: jobs watch --follow (against the local server, real jobs)', function () {
  this.timeout(120_000)
  let watch: WatchServer
  let restoreEnv: () => void

  before(async () => {
    // 400 files indexed 20 at a time: 20 progress reports, 60 ms apart (more than the 40 ms over
    // which the server coalesces them), each a push event.
    watch = await startWatchServer({goldenFiles: 400, jobThrottleMs: 60})
    restoreEnv = useCliEnv(watch)
  })

  after(async () => {
    restoreEnv()
    await watch.stop()
  })

  it('--follow with nothing active waits, follows a job started meanwhile to its end, waits again; Ctrl-C ends it (exit 130)', async () => {
    let started: Promise<string> | undefined
    let id = ''
    const {stdout, stderr, exitCode} = await runCli(
      ['jobs', 'watch', '--follow', '--interval', '0.2s', '--timeout', '100s'],
      (_chunk, all) => {
        if (!started && all.includes(IDLE)) {
          started = watch.activate('follow-copy')
          void started.then((jobId) => {
            id = jobId
          })
        } else if (
          id &&
          all.includes(`${id}  activate_repository`) &&
          all.includes('completed') &&
          all.endsWith(`${IDLE}\n`)
        )
          process.emit('SIGINT', 'SIGINT')
      },
    )
    expect(exitCode).to.equal(130)
    expect(stderr).to.contain('Stopped watching')
    const body = lines(stdout).map((line) => line.replace(ISO_LINE, ''))
    expect(body[0]).to.equal(IDLE)
    const followed = jobLines(stdout, id)
    expect(followed.length).to.be.at.least(2)
    expect(followed.some((line) => line.includes('  running  '))).to.equal(true)
    expect(followed.at(-1)).to.match(/ {2}completed {2}100% {2}in \d+s$/)
    // Waiting again once it ended, and no summary: watching was stopped, not over.
    expect(body.at(-1)).to.equal(IDLE)
    expect(stdout).not.to.contain('Done:')
  })

  it('--follow --json keeps stdout to NDJSON jobs, the waiting notes on stderr; --timeout ends it (exit 124)', async () => {
    let started = false
    const run = runCli(['jobs', 'watch', '--follow', '--json', '--timeout', '8s'], () => {})
    // Started once the watch is waiting (the note is on stderr, which runCli does not stream).
    setTimeout(() => {
      started = true
      void watch.activate('follow-json')
    }, 1000)
    const {stdout, stderr, exitCode} = await run
    expect(started).to.equal(true)
    expect(exitCode).to.equal(124)
    // Waiting at first, and again once the job has ended.
    expect(stderr).to.equal(`cidx: ${IDLE}\ncidx: ${IDLE}\n`)
    // Then the error, as --json reports errors: a JSON object on stdout.
    const [ndjson, error] = stdout.split(/^(?=\{\n)/m)
    expect(JSON.parse(error)).to.deep.include({
      error: {kind: 'timeout', message: 'Gave up waiting after 8s.', exit_code: 124},
    })
    const jobs = lines(ndjson).map((line) => JSON.parse(line) as Job)
    expect(jobs.length).to.be.at.least(2)
    expect(jobs.at(-1)).to.include({status: 'completed', job_type: 'activate_repository'})
  })

  it('refuses --follow with job IDs (exit 2), before asking the server anything', async () => {
    const {stderr, exitCode} = await runCli(['jobs', 'watch', '--follow', '3f0c9a52'])
    expect(exitCode).to.equal(2)
    expect(stderr).to.contain('--follow watches for jobs as they start: give no job ID with it.')
  })
})
