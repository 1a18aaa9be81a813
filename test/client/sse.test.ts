import type {AddressInfo} from 'node:net'

import {expect} from 'chai'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Credentials} from '../../src/auth/credentials.js'
import type {Job} from '../../src/jobs/job.js'

import {JobsClient} from '../../src/client/jobs-client.js'
import {MAX_EVENT_CHARS, parseServerSentEvents, type ServerSentEvent} from '../../src/client/sse.js'
import {CliError, NetworkError, NotFoundError, ProtocolError} from '../../src/errors.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'
import {wireJob} from '../helpers/fixtures/job-fixtures.js'

async function* chunksOf(...chunks: Array<Buffer | string>): AsyncGenerator<Buffer | string> {
  for (const chunk of chunks) yield chunk
}

async function parse(...chunks: Array<Buffer | string>): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = []
  for await (const event of parseServerSentEvents(chunksOf(...chunks))) events.push(event)
  return events
}

/** The token of the tests that do not care how the client got one. */
const STATIC_TOKEN: Partial<Credentials> = {staticToken: 'tok-1234'}

/** A client of the loopback server at `url`. */
function client(
  url: string,
  credentials: Partial<Credentials> = STATIC_TOKEN,
  timeouts?: {responseMs: number},
): JobsClient {
  return new JobsClient({
    env: {},
    credentials: {serverUrl: url, source: 'env', ...credentials},
    retry: {baseDelayMs: 1},
    timeouts,
  })
}

/** Starts an event stream's answer. */
function streamHead(response: ServerResponse): void {
  response.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
}

describe('sse: Server-Sent Events', () => {
  describe('parseServerSentEvents', () => {
    it('reads events, defaulting the name to "message" and joining data lines', async () => {
      expect(await parse('event: job\ndata: {"a":1}\n\ndata: first\ndata: second\n\n')).to.deep.equal([
        {event: 'job', data: '{"a":1}'},
        {event: 'message', data: 'first\nsecond'},
      ])
    })

    it('reassembles events split anywhere across chunks, even inside a UTF-8 character', async () => {
      const text = 'event: job\ndata: {"phase":"index ✓"}\n\n'
      const bytes = Buffer.from(text)
      const tick = bytes.indexOf(Buffer.from('✓'))
      const pieces = [
        bytes.subarray(0, 3),
        bytes.subarray(3, tick + 1),
        bytes.subarray(tick + 1, -1),
        bytes.subarray(-1),
      ]
      expect(await parse(...pieces)).to.deep.equal([{event: 'job', data: '{"phase":"index ✓"}'}])
    })

    it('skips comments (heartbeats), retry and id fields, and blocks without data', async () => {
      expect(
        await parse(
          'retry: 2000\n: connected\n\n',
          ': heartbeat\n\n',
          'id: 7\nevent: job\ndata:x\n\n',
          'event: empty\n\n',
        ),
      ).to.deep.equal([{event: 'job', data: 'x'}])
    })

    it('reads CRLF line ends, a field without a colon, and keeps spaces after the first', async () => {
      expect(await parse('event: job\r\ndata:  two spaces\r\ndata\r\n\r\n')).to.deep.equal([
        {event: 'job', data: ' two spaces\n'},
      ])
    })

    it('drops an unfinished event when the stream ends', async () => {
      expect(await parse('data: complete\n\n', 'data: cut off')).to.deep.equal([{event: 'message', data: 'complete'}])
    })

    it('finds a blank line split across chunks in every way', async () => {
      for (const pieces of [
        ['data: a\r\n\r', '\ndata: b\n\n'],
        ['data: a\r\n', '\r\ndata: b\n', '\n'],
        ['data: a\n', '\n', 'data: b\r', '\n\r', '\n'],
      ]) {
        expect(await parse(...pieces), JSON.stringify(pieces)).to.deep.equal([
          {event: 'message', data: 'a'},
          {event: 'message', data: 'b'},
        ])
      }
    })

    it('reassembles a long event that arrives in many small chunks', async () => {
      const data = 'y'.repeat(200_000)
      const text = `event: job\ndata: ${data}\n\n`
      const pieces = Array.from({length: Math.ceil(text.length / 7)}, (_, n) => text.slice(n * 7, n * 7 + 7))
      expect(await parse(...pieces)).to.deep.equal([{event: 'job', data}])
    })

    it('reads an event of almost 1 MiB', async () => {
      const data = 'y'.repeat(MAX_EVENT_CHARS - 100)
      expect(await parse('event: job\ndata: ', data, '\n\n')).to.deep.equal([{event: 'job', data}])
    })

    it('an event past 1 MiB is a protocol error at once: no more of the stream is read', async () => {
      let pulled = 0
      // 64 MiB in 64 KiB chunks, none of them ending the event.
      async function* endless(): AsyncGenerator<string> {
        yield 'event: job\ndata: '
        for (let chunk = 0; chunk < 1024; chunk++) {
          pulled++
          yield 'z'.repeat(64 * 1024)
        }
      }

      const error = await (async () => {
        for await (const event of parseServerSentEvents(endless())) expect.fail(`unexpected ${event.event}`)
      })().catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(ProtocolError)
      expect((error as Error).message).to.equal(
        'The server pushed an event larger than 1 MiB: stopped reading the event stream',
      )
      // The 16th chunk takes the event past 1 MiB.
      expect(pulled, 'chunks read').to.equal(16)
    })
  })

  describe('JobsClient.streamJobEvents over loopback', () => {
    let server: Server | undefined
    let requests: IncomingMessage[]

    async function serve(
      handler: (request: IncomingMessage, response: ServerResponse) => Promise<void> | void,
    ): Promise<string> {
      requests = []
      server = createServer((request, response) => {
        requests.push(request)
        void handler(request, response)
      })
      await new Promise<void>((resolve) => {
        server?.listen(0, '127.0.0.1', resolve)
      })
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    }

    afterEach(async () => {
      server?.closeAllConnections()
      await new Promise((resolve) => {
        server?.close(resolve)
      })
      server = undefined
    })

    it('yields the jobs of `job` events sent in pieces, between heartbeats and other events', async () => {
      const first = JSON.stringify(wireJob({job_id: 'a', status: 'running', progress: 20}))
      const second = JSON.stringify(wireJob({job_id: 'b', status: 'pending'}))
      const url = await serve(async (_request, response) => {
        streamHead(response)
        response.write('retry: 2000\n: connected\n\n')
        response.write(`event: job\nid: 1\ndata: ${first.slice(0, 25)}`)
        await sleep(20)
        response.write(`${first.slice(25)}\n`)
        await sleep(20)
        response.write('\n: heartbeat\n\nevent: stats\ndata: {"ignored": true}\n\n')
        // One JSON document may span several data lines: they are joined with newlines (whitespace to JSON).
        const [head, ...rest] = second.split(',"status"')
        response.end(`event: job\ndata: ${head},\ndata: "status"${rest.join(',"status"')}\n\n`)
      })
      const jobs: Job[] = []
      for await (const job of client(url).streamJobEvents(['a', 'b'], new AbortController().signal)) jobs.push(job)
      expect(jobs.map((job) => [job.job_id, job.status, job.progress])).to.deep.equal([
        ['a', 'running', 20],
        ['b', 'queued', 100],
      ])
      expect(requests[0].url).to.equal('/api/jobs/events?job_id=a%2Cb')
      expect(requests[0].headers.accept).to.equal('text/event-stream')
      expect(requests[0].headers.authorization).to.equal('Bearer tok-1234')
    })

    it('asks for every visible job when given no IDs', async () => {
      const url = await serve((_request, response) => {
        streamHead(response)
        response.end()
      })
      for await (const job of client(url).streamJobEvents([], new AbortController().signal))
        expect.fail(`unexpected ${job.job_id}`)
      expect(requests[0].url).to.equal('/api/jobs/events')
    })

    it('a server without the channel answers 404: a NotFoundError with status 404', async () => {
      const url = await serve((_request, response) => {
        response.writeHead(404, {'content-type': 'application/json'}).end('{"detail": "Not Found"}')
      })
      const error = await (async () => {
        for await (const job of client(url).streamJobEvents(undefined, new AbortController().signal))
          expect.fail(`unexpected ${job.job_id}`)
      })().catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(NotFoundError)
      expect((error as CliError).status).to.equal(404)
    })

    it('an abort ends the iteration quietly, while waiting for the answer or for events', async () => {
      const url = await serve((request, response) => {
        if (request.url?.includes('slow')) return // never answers
        streamHead(response)
        response.write(`event: job\ndata: ${JSON.stringify(wireJob({job_id: 'a', status: 'running'}))}\n\n`)
        // then silence, as between changes
      })
      const stop = new AbortController()
      const seen: string[] = []
      for await (const job of client(url).streamJobEvents(['a'], stop.signal)) {
        seen.push(job.job_id)
        setTimeout(() => stop.abort(), 20)
      }

      expect(seen).to.deep.equal(['a'])

      const early = new AbortController()
      setTimeout(() => early.abort(), 50)
      for await (const job of client(url).streamJobEvents(['slow'], early.signal))
        expect.fail(`unexpected ${job.job_id}`)
      expect(requests.map((request) => request.url)).to.deep.equal([
        '/api/jobs/events?job_id=a',
        '/api/jobs/events?job_id=slow',
      ])
    })

    it('renews the token once on a 401 and opens the stream again', async () => {
      const fresh = fakeJwt({username: 'alice', exp: Date.now() / 1000 + 600})
      const url = await serve((request, response) => {
        if (request.url === '/auth/login') {
          response
            .writeHead(200, {'content-type': 'application/json'})
            .end(JSON.stringify({access_token: fresh, user: {username: 'alice', role: 'admin'}}))
        } else if (request.headers.authorization === `Bearer ${fresh}`) {
          streamHead(response)
          response.end(`event: job\ndata: ${JSON.stringify(wireJob({job_id: 'a'}))}\n\n`)
        } else {
          response.writeHead(401, {'content-type': 'application/json'}).end('{"detail": "Token has been revoked"}')
        }
      })
      const stale = fakeJwt({username: 'alice', exp: Date.now() / 1000 + 600, jti: 'stale'})
      const jobs = client(url, {
        username: 'alice',
        password: 'pw-12345',
        tokenStore: {
          load: async () => ({accessToken: stale, accessTokenExpiresAt: Date.now() + 600_000}),
          async save() {},
        },
      })
      const seen: string[] = []
      for await (const job of jobs.streamJobEvents(['a'], new AbortController().signal)) seen.push(job.job_id)
      expect(seen).to.deep.equal(['a'])
      expect(requests.map((request) => request.url)).to.deep.equal([
        '/api/jobs/events?job_id=a',
        '/auth/login',
        '/api/jobs/events?job_id=a',
      ])
    })

    it('an event whose data is not JSON is a protocol error', async () => {
      const url = await serve((_request, response) => {
        streamHead(response)
        response.end('event: job\ndata: {"job_id": \n\n')
      })
      const error = await (async () => {
        for await (const job of client(url).streamJobEvents(['a'], new AbortController().signal))
          expect.fail(`unexpected ${job.job_id}`)
      })().catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(ProtocolError)
      expect((error as Error).message).to.equal('The server pushed a job event that is not JSON')
    })

    it('a connection that breaks mid-stream is a network error', async () => {
      const url = await serve((_request, response) => {
        streamHead(response)
        response.write(`event: job\ndata: ${JSON.stringify(wireJob({job_id: 'a'}))}\n\n`)
        setTimeout(() => response.socket?.destroy(), 30)
      })
      const seen: string[] = []
      const error = await (async () => {
        for await (const job of client(url).streamJobEvents(['a'], new AbortController().signal)) seen.push(job.job_id)
      })().catch((error_: unknown) => error_)
      expect(seen).to.deep.equal(['a'])
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as CliError).exitCode).to.equal(5)
    })

    it('a stream silent for longer than the request timeout is a network error that says so', async () => {
      const url = await serve((_request, response) => {
        streamHead(response)
        response.write(`event: job\ndata: ${JSON.stringify(wireJob({job_id: 'a', status: 'running'}))}\n\n`)
        // then silence: no heartbeat either
      })
      const seen: string[] = []
      const error = await (async () => {
        for await (const job of client(url, undefined, {responseMs: 300}).streamJobEvents(
          ['a'],
          new AbortController().signal,
        ))
          seen.push(job.job_id)
      })().catch((error_: unknown) => error_)
      expect(seen).to.deep.equal(['a'])
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as Error).message).to.equal(
        `Timed out talking to ${url}: the event stream was silent for more than 0.3 s`,
      )
    })

    it('has no total deadline: heartbeats keep the stream open past the request timeout', async () => {
      const url = await serve(async (_request, response) => {
        streamHead(response)
        for (let beat = 0; beat < 10; beat++) {
          response.write(': heartbeat\n\n')
          await sleep(100)
        }

        response.end(`event: job\ndata: ${JSON.stringify(wireJob({job_id: 'a'}))}\n\n`)
      })
      const seen: string[] = []
      for await (const job of client(url, undefined, {responseMs: 300}).streamJobEvents(
        ['a'],
        new AbortController().signal,
      ))
        seen.push(job.job_id)
      expect(seen).to.deep.equal(['a'])
    })

    it('a server that is down is a network error before any event', async () => {
      const url = await serve(() => {})
      server?.close()
      server?.closeAllConnections()
      const error = await (async () => {
        for await (const job of client(url).streamJobEvents(['a'], new AbortController().signal))
          expect.fail(`unexpected ${job.job_id}`)
      })().catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as Error).message).to.match(/connection refused/)
      await new Promise<void>((resolve) => {
        server?.listen(0, '127.0.0.1', resolve)
      })
    })
  })
})
