import {expect} from 'chai'

import {JobsClient} from '../../src/client/jobs-client.js'
import {runTop, type TopAppClient, type TopRun} from '../../src/top/top-app.js'
import {NO_FILTER, parseFilter} from '../../src/top/top-filter.js'
import {stripAnsi} from '../../src/ui/terminal.js'
import {startWatchServer, USER, USER_PASSWORD, type WatchServer} from '../helpers/servers/watch-harness.js'
import {FakeInput, FakeOutput} from './top-fixtures.js'

function clientFor(url: string): JobsClient {
  return new JobsClient({
    credentials: {serverUrl: url, source: 'env', username: USER, password: USER_PASSWORD},
    retry: {limit: 1, baseDelayMs: 50},
    timeouts: {connectMs: 2000, responseMs: 5000},
  })
}

/** A terminal's stdout that keeps what it shows: the screen's line writes applied to a grid of lines. */
class VirtualTerminal extends FakeOutput {
  lines: string[] = []

  text(): string {
    return this.lines.map((line) => stripAnsi(line ?? '')).join('\n')
  }

  override write(chunk: string): boolean {
    super.write(chunk)
    // Each changed line is `CSI row;1H text CSI 0m CSI K`.
    // eslint-disable-next-line no-control-regex -- the escape sequences are what this reads
    for (const [, row, text] of chunk.matchAll(/\u001B\[(\d+);1H(.*?)\u001B\[0m\u001B\[K/g))
      this.lines[Number(row) - 1] = text
    return true
  }
}

async function until<T>(what: string, check: () => T | undefined, show: () => string): Promise<T> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${show()}`)
    await new Promise((resolve) => {
      setTimeout(resolve, 20)
    })
  }
}

function openTop(client: TopAppClient, options: {push?: boolean} = {}) {
  const output = new VirtualTerminal()
  const input = new FakeInput()
  const run: TopRun = runTop(client, {
    filter: NO_FILTER,
    input,
    output,
    intervalMs: 100,
    push: options.push ?? true,
    render: {color: false, bars: false},
    waitTimeoutMs: 10_000,
  })
  const shows = (what: string, matches: (text: string) => boolean) =>
    until(
      `the view to show ${what}`,
      () => (matches(output.text()) ? output.text() : undefined),
      () => output.text(),
    )
  return {output, input, run, shows, type: (text: string) => input.write(text)}
}

describe('top: the view against the local server', function () {
  this.timeout(30_000)
  let watch: WatchServer
  let open: ReturnType<typeof openTop> | undefined

  before(async () => {
    watch = await startWatchServer()
  })

  afterEach(async () => {
    open?.type('q')
    await open?.run.result.catch(() => {})
    open = undefined
  })

  after(() => watch.stop())

  it('follows the jobs live, cancels the selected one as jobs cancel does, and quits with exit 0', async () => {
    const job = await watch.seed({status: 'running', started_at: new Date(), progress: 20, result: {alias: 'alpha'}})
    open = openTop(clientFor(watch.url))
    // The header fills in as the answers arrive: who is asking, the health, the first snapshot.
    await open.shows('the header and the job', (text) =>
      new RegExp(
        `^cidx jobs top  ${watch.url}  alice  push  updated[^]* health healthy[^]*${job.slice(0, 8)}`,
        'm',
      ).test(text),
    )
    await watch.update(job, {progress: 60})
    await open.shows('its progress', (text) => new RegExp(`${job.slice(0, 8)} .*running +60%`).test(text))
    open.type('c')
    await open.shows('the question', (text) => text.includes(`Cancel job ${job.slice(0, 8)}`))
    open.type('y')
    await open.shows('the outcome', (text) => text.includes(`Job ${job.slice(0, 8)}: cancelled in`))
    expect((await watch.job(job)).status).to.equal('cancelled')
    // Ended: gone from the active rows, among all recent ones after `a` (and a refresh).
    await open.shows('no active job', (text) => text.includes('No active jobs.'))
    open.type('a')
    open.type('r')
    await open.shows('the cancelled job among all', (text) => new RegExp(`${job.slice(0, 8)} .*cancelled`).test(text))
    expect(open.run.frames()).to.be.above(3)
    open.type('q')
    expect(await open.run.result).to.equal(0)
    expect(open.input.isRaw).to.equal(false)
    expect(open.output.written.join('').endsWith('\u001B[0m\u001B[?25h\u001B[?1049l')).to.equal(true)
  })

  it('polling, it picks up jobs that start after all it followed had ended; Ctrl-C exits 130', async () => {
    open = openTop(clientFor(watch.url), {push: false})
    await open.shows('polling', (text) => /^cidx jobs top .* polling/m.test(text))
    const job = await watch.seed({status: 'pending', result: {alias: 'later'}})
    await open.shows('the new job', (text) => new RegExp(`${job.slice(0, 8)} .*queued`).test(text))
    open.type('\u0003')
    expect(await open.run.result).to.equal(130)
  })

  it('says in its title when the server is unreachable, and carries on once it is back', async () => {
    // A server of its own: a restart fails the jobs left running.
    const lonely = await startWatchServer()
    try {
      const job = await lonely.seed({status: 'running', started_at: new Date(), result: {alias: 'outage'}})
      open = openTop(clientFor(lonely.url))
      await open.shows('the job', (text) => text.includes(job.slice(0, 8)))
      await lonely.close()
      await open.shows('the outage', (text) => /^cidx jobs top .* (server unreachable|Cannot reach)/m.test(text))
      await lonely.restart()
      open.type('r')
      await open.shows('the connection back', (text) => /^cidx jobs top .* updated \d\d:\d\d:\d\d$/m.test(text))
      open.type('q')
      expect(await open.run.result).to.equal(0)
    } finally {
      await lonely.stop()
    }
  })

  it('ends with the error, the terminal restored, when following breaks on something other than the server', async () => {
    const client = clientFor(watch.url)
    const broken = Object.assign(Object.create(client) as JobsClient, {
      listPage: () => Promise.reject(new TypeError('a bug')),
    })
    open = openTop(broken)
    const error = await open.run.result.then(
      () => {},
      (error: unknown) => error,
    )
    expect(error).to.be.instanceOf(TypeError)
    expect(open.input.isRaw).to.equal(false)
    expect(open.output.written.join('').endsWith('\u001B[?1049l')).to.equal(true)
  })

  it('starts with the filter given', async () => {
    const alpha = await watch.seed({status: 'running', started_at: new Date(), result: {alias: 'alpha'}})
    const beta = await watch.seed({status: 'running', started_at: new Date(), result: {alias: 'beta'}})
    const output = new VirtualTerminal()
    const input = new FakeInput()
    const run = runTop(clientFor(watch.url), {
      filter: parseFilter('repo:beta'),
      input,
      output,
      intervalMs: 100,
      push: true,
      render: {color: false, bars: false},
      waitTimeoutMs: 1000,
    })
    await until(
      'the filtered rows',
      () => (output.text().includes(beta.slice(0, 8)) ? true : undefined),
      () => output.text(),
    )
    expect(output.text()).not.to.contain(alpha.slice(0, 8))
    input.write('q')
    expect(await run.result).to.equal(0)
  })
})
