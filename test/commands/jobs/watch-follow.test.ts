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

/** `running  40%` → 40: the percent of a plain job line (`<id>  <type>  <repo>  <status>  <percent>...`). */
function percentOf(line: string): number {
  return Number(/ {2}(\d+)%/.exec(line)![1])
}

describe('commands: jobs watch --follow and --progress-every (against the local server, real jobs)', function () {
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

  it('in a pipe, prints progress at most every 10 % by default, every status change, and the last line; --json keeps every event', async () => {
    const id = await watch.activate('throttled')
    const plain = await runCli(['jobs', 'watch', id])
    // One run at a time (each captures this process's output): a twin job for NDJSON.
    const every = await runCli(['jobs', 'watch', await watch.activate('throttled-json'), '--json'])
    expect(plain.exitCode).to.equal(0)
    const shown = jobLines(plain.stdout, id)
    const running = shown.filter((line) => line.includes('  running  '))
    // The job took well under 10 s: only the percent rule lets a progress line through.
    for (const [index, line] of running.entries())
      if (index > 0) expect(percentOf(line) - percentOf(running[index - 1]), line).to.be.at.least(10)
    expect(shown.at(-1)).to.match(/ {2}completed {2}100% {2}in \d+s$/)
    expect(lines(plain.stdout).at(-1)).to.equal('Done: 1 completed.')
    const events = lines(every.stdout).map((line) => JSON.parse(line) as Job)
    expect(events.length, 'NDJSON: every event').to.be.above(shown.length + 5)
    expect(shown.length, 'a handful of lines, not one per report').to.be.at.most(14)
  })

  it('--progress-every 0 prints every change; a bad value is refused (exit 2)', async () => {
    const id = await watch.activate('every-change')
    const all = await runCli(['jobs', 'watch', id, '--progress-every', '0'])
    const percents = jobLines(all.stdout, id).map((line) => percentOf(line))
    expect(new Set(percents).size, 'many distinct percents').to.be.above(12)
    const bad = await runCli(['jobs', 'watch', id, '--progress-every', '10'])
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.contain('--progress-every takes a percentage of at most 100%')
  })
})
