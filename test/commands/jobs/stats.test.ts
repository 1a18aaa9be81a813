import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {stripAnsi} from '../../../src/ui/terminal.js'
import {visibleWidth} from '../../../src/ui/text-width.js'
import {lines, useCliSession} from '../../helpers/cli-session.js'
import {jobSeries, pythonIso} from '../../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../../helpers/servers/fake-cidx.js'
import {spawnCli, startWatchServer, USER, type WatchServer} from '../../helpers/servers/watch-harness.js'
import {KNOWN_FIGURES, knownJobs} from '../../stats/known-jobs.js'

const ROOT = new URL('../../..', import.meta.url).pathname

describe('commands: jobs stats (against a server with the real paging defect)', () => {
  let fake: FakeCidx
  const session = useCliSession(() => ({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token}))

  before(async () => {
    fake = await startFakeCidx({paging: 'defect'})
  })

  beforeEach(() => {
    fake.jobs = knownJobs(new Date())
    fake.listings.length = 0
  })

  after(async () => {
    await fake.close()
  })

  it('--json gives the exact figures of a known week, asking status by status', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'stats', '--json'], {root: ROOT})
    expect(error).to.equal(undefined)
    const stats = JSON.parse(stdout)
    expect(stats).to.deep.include({...KNOWN_FIGURES, complete: true})
    expect(stderr).to.equal('')
    const asked = new Set(fake.listings.map((query) => query.get('status')))
    expect(asked).to.include.members(['pending', 'running', 'completed', 'failed', 'cancelled'])
    expect(stats.timeline_unit).to.equal('day')
    expect(stats.timeline).to.have.length.within(7, 8)
    const counted = stats.timeline.reduce(
      (sum: number, bucket: Record<string, number>) =>
        sum + bucket.completed + bucket.failed + bucket.cancelled + bucket.other,
      0,
    )
    expect(counted).to.equal(7)
  })

  it('says on stderr how many jobs it is based on when the server hides older ones', async () => {
    fake.jobs.push(...jobSeries(60, {prefix: 'recent', status: 'completed', newest: new Date(Date.now() - 60_000)}))
    const {stdout, stderr} = await runCommand(['jobs', 'stats', '--json'], {root: ROOT})
    const stats = JSON.parse(stdout)
    // The completed listing reaches its newest 50; failed and cancelled have windows of their own.
    expect(stats).to.deep.include({sample: 53, complete: false, by_status: {cancelled: 1, completed: 50, failed: 2}})
    expect(stderr).to.include('Based on 53 jobs; the server hides older ones.')
  })

  it('filters by type and window on the client, as a real server ignores those filters', async () => {
    const since = pythonIso(new Date(Date.now() - 40 * 3_600_000))
    const {stdout} = await runCommand(['jobs', 'stats', '--json', '--type', 'add_golden_repo', '--since', since], {
      root: ROOT,
    })
    const stats = JSON.parse(stdout)
    expect(stats).to.deep.include({sample: 1, by_status: {failed: 1}, success_rate: 0})
    expect(stats.timeline_unit).to.equal('hour')
  })

  it('in a pipe prints plain tables, the timeline one line per bucket', async () => {
    const {stdout} = await runCommand(['jobs', 'stats'], {root: ROOT})
    expect(stdout).to.not.include('\u001B[')
    expect(stdout).to.include('Success rate 66.7%')
    expect(stdout).to.include('Duration  p50 1m 00s  p95 4m 00s  max 4m 00s')
    expect(stdout).to.match(/^\s*2\s+Clone of <path> failed: exit <n>\s+clone-1$/m)
    expect(lines(stdout).filter((line) => /^\d{4}-\d\d-\d\dT00:00:00\.000Z\s/.test(line))).to.have.length.within(7, 8)
  })

  for (const [since, unit] of [
    ['7d', 'day'],
    ['1d', 'hour'],
  ]) {
    it(`on an 80-column terminal draws a chart of jobs per ${unit} that fits`, async () => {
      session.asTerminal(80)
      const {stdout} = await runCommand(['jobs', 'stats', '--since', since], {root: ROOT}, {stripAnsi: false})
      const output = lines(stdout)
      for (const line of output) expect(visibleWidth(stripAnsi(line)), line).to.be.at.most(80)
      expect(stdout).to.include('\u001B[32m█')
      expect(output.some((line) => stripAnsi(line).includes(`jobs per ${unit} (UTC)`))).to.equal(true)
    })
  }

  it('refuses --since after --until before any request', async () => {
    const {error} = await runCommand(['jobs', 'stats', '--since', '1d', '--until', '2d'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(fake.listings).to.have.length(0)
  })
})

describe('commands: jobs stats (the built CLI against the local server, which computes them)', () => {
  let watch: WatchServer

  before(async () => {
    watch = await startWatchServer()
    for (const job of knownJobs(new Date())) await watch.seed({...job, username: USER})
    // Beyond the ~50 a listing of one status reaches: only the server's own figures count them all.
    for (const job of jobSeries(60, {prefix: 'recent', status: 'completed', newest: new Date(Date.now() - 60_000)}))
      await watch.seed({...job, username: USER})
  })

  after(async () => {
    await watch?.stop()
  })

  it('--json passes the figures over the whole window through, complete', async () => {
    const cli = spawnCli(['jobs', 'stats', '--json'], watch.childEnv(), 'bin/run.js')
    const {code} = await cli.exit
    expect(code, cli.stderr()).to.equal(0)
    const stats = JSON.parse(cli.lines.map((line) => line.text).join('\n'))
    expect(stats).to.deep.include({sample: 67, complete: true, by_status: {cancelled: 1, completed: 64, failed: 2}})
    expect(stats.top_errors).to.deep.equal(KNOWN_FIGURES.top_errors)
    expect(cli.stderr()).to.equal('')
  })
})
