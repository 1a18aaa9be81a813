import type {ServerTesting} from '@cidx/local-server'
import type {Socket} from 'node:net'

import {expect} from 'chai'
import {setTimeout as delay} from 'node:timers/promises'

import {
  type CliChild,
  spawnCli,
  startWatchServer,
  type WatchServer,
} from '../../../test/helpers/servers/watch-harness.js'
import {waitFor} from '../support/api.js'
import {startTestServer, type TestServer, usersWithTokens} from '../support/server-fixture.js'
import {type EventStream, openEventStream, openStalledStream} from '../support/sse.js'

/** What one stream may hold for a client that does not read: the socket's buffer, one event being written, one held back. */
const QUEUED_BOUND_BYTES = 128 * 1024

/**
 * Changes a job with a large phase_detail, batch after batch, letting the server write in
 * between, until `done` or `maxUpdates`; returns the most any open stream held queued meanwhile.
 */
async function churn(
  testing: ServerTesting,
  jobId: string,
  options: {detailBytes: number; done?: () => boolean; maxUpdates: number},
): Promise<number> {
  const padding = 'x'.repeat(options.detailBytes)
  let mostQueued = 0
  for (let update = 1; update <= options.maxUpdates; update++) {
    await testing.updateJob(jobId, {progress: update % 100, phase_detail: `${update} ${padding}`})
    if (update % 50 !== 0) continue
    await delay(1)
    mostQueued = Math.max(mostQueued, ...testing.eventStreams().map((stream) => stream.queuedBytes))
    // Past the bound the test has failed: stop before the server's memory balloons.
    if (mostQueued >= QUEUED_BOUND_BYTES || options.done?.()) break
  }

  return mostQueued
}

function job(data: string): {phase_detail: null | string; status: string} {
  return JSON.parse(data)
}

describe('server: event streams whose clients stop reading', function () {
  this.timeout(60_000)
  let test: TestServer
  const sockets: Socket[] = []
  const streams: EventStream[] = []

  before(async () => {
    test = await startTestServer({eventStreams: {perUser: 60, maxBlockedMs: 500}})
  })

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy()
    for (const stream of streams.splice(0)) stream.close()
  })

  after(() => test.stop())

  it('hold back only the latest state for 50 stalled clients, while a reader gets every end state', async () => {
    const {testing} = test.server
    const watched = await testing.insertJob({username: 'admin', status: 'running'})
    const reader = await openEventStream(`${test.server.url}/api/jobs/events?job_id=${watched.job_id}`, test.adminToken)
    streams.push(reader)
    for (let n = 0; n < 50; n++) sockets.push(await openStalledStream(test.server.url, test.adminToken))
    await waitFor('51 open streams', () => (testing.eventStreams().length === 51 ? true : undefined))

    // 8 MB for each stalled client: far more than the kernel's socket buffers take.
    const mostQueued = await churn(testing, watched.job_id, {detailBytes: 8000, maxUpdates: 1000})
    await testing.updateJob(watched.job_id, {status: 'completed', progress: 100, phase_detail: 'the end'})

    expect(mostQueued).to.be.below(QUEUED_BOUND_BYTES)
    const last = await reader.next((event) => job(event.data).status === 'completed', 10_000)
    expect(job(last.data).phase_detail).to.equal('the end')
  })

  it('cut off clients that stay blocked, without waiting for them to read', async () => {
    const {testing} = test.server
    const watched = await testing.insertJob({username: 'admin', status: 'running'})
    for (let n = 0; n < 3; n++) sockets.push(await openStalledStream(test.server.url, test.adminToken))
    await waitFor('the streams', () => (testing.eventStreams().length === 3 ? true : undefined))
    const mostQueued = await churn(testing, watched.job_id, {
      detailBytes: 32_000,
      maxUpdates: 50_000,
      done: () => testing.eventStreams().length === 0,
    })
    expect(testing.eventStreams()).to.deep.equal([])
    expect(mostQueued).to.be.below(QUEUED_BOUND_BYTES)
  })
})

describe('server: event streams per user', () => {
  let test: TestServer
  let tokens: Record<string, string>
  const streams: EventStream[] = []

  async function open(token: string): Promise<EventStream> {
    const stream = await openEventStream(`${test.server.url}/api/jobs/events`, token)
    streams.push(stream)
    return stream
  }

  before(async () => {
    test = await startTestServer({eventStreams: {perUser: 2}})
    tokens = await usersWithTokens(test, 'alice')
  })

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close()
  })

  after(() => test.stop())

  it('answers a stream beyond the per-user limit 429 in the admission-control shape, with Retry-After', async () => {
    const first = await open(test.adminToken)
    expect((await open(test.adminToken)).status).to.equal(200)
    const refused = await open(test.adminToken)
    expect(refused.status).to.equal(429)
    expect(refused.headers.get('retry-after')).to.equal('5')
    expect(refused.errorBody).to.deep.equal({
      detail: "Server at capacity for user 'admin': 2 event streams open (limit 2). Close one, or retry later.",
      retry_after_seconds: 5,
    })
    expect((await open(tokens.alice)).status, 'another user is not affected').to.equal(200)

    first.close()
    await waitFor('the closed stream to be let go', () =>
      test.server.testing.eventStreams().filter((s) => s.username === 'admin').length === 1 ? true : undefined,
    )
    expect((await open(test.adminToken)).status).to.equal(200)
  })

  it('ends a stream cleanly when its token expires; nothing is delivered on it after', async () => {
    const token = await test.server.testing.createAccessToken('alice', {ttlSeconds: 1.5})
    const openedAt = Date.now()
    const stream = await open(token)
    expect(stream.status).to.equal(200)
    await Promise.race([
      stream.ended,
      new Promise((_, reject) => {
        setTimeout(() => reject(new Error('the stream did not end')), 8000)
      }),
    ])
    expect(Date.now() - openedAt).to.be.within(1000, 8000)
    await test.server.testing.insertJob({username: 'alice', status: 'pending'})
    await new Promise((resolve) => {
      setTimeout(resolve, 200)
    })
    expect(stream.events).to.deep.equal([])
    expect((await open(token)).errorBody).to.deep.equal({detail: 'Token has expired'})
  })

  it('keeps a stream opened with an API key (which does not expire) open', async () => {
    const key = (await test.api.post('/api/keys', {name: 'ci'}, tokens.alice)).body.api_key
    const stream = await open(key)
    const seeded = await test.server.testing.insertJob({username: 'alice', status: 'pending'})
    await stream.next((event) => JSON.parse(event.data).job_id === seeded.job_id)
  })
})

describe('server: a suspended `cidx jobs watch`', function () {
  this.timeout(90_000)
  let watch: WatchServer
  let cli: CliChild | undefined

  before(async () => {
    watch = await startWatchServer({eventStreams: {maxBlockedMs: 1500}})
  })

  after(async () => {
    cli?.child.kill('SIGCONT')
    cli?.child.kill('SIGKILL')
    await watch.stop()
  })

  it('costs the server a bounded amount while stopped (Ctrl-Z), and watches to the end once resumed', async () => {
    const {testing} = watch.server
    const id = await watch.seed({status: 'running', progress: 10})
    cli = spawnCli(['jobs', 'watch', id], watch.childEnv())
    await cli.line((text) => text.includes(id) && text.includes('running'))
    await waitFor("the watcher's event stream", () => (testing.eventStreams().length === 1 ? true : undefined), 20_000)

    cli.child.kill('SIGSTOP')
    const mostQueued = await churn(testing, id, {
      detailBytes: 32_000,
      maxUpdates: 50_000,
      done: () => testing.eventStreams().length === 0,
    })
    expect(testing.eventStreams(), 'the stopped watcher is cut off').to.deep.equal([])
    expect(mostQueued).to.be.below(QUEUED_BOUND_BYTES)
    await watch.update(id, {status: 'completed', progress: 100, completed_at: new Date()})

    cli.child.kill('SIGCONT')
    const {code} = await cli.exit
    expect(code, cli.stderr()).to.equal(0)
    expect(cli.lines.map((line) => line.text).findLast((text) => text.includes(id))).to.match(/ completed {2}100%/)
  })
})
