import {expect} from 'chai'
import nock from 'nock'
import {createServer as createHttpServer, type ServerResponse} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {CidxClient, type ClientOptions} from '../../src/client/cidx-client.js'
import {JobsClient} from '../../src/client/jobs-client.js'
import {NetworkError, NotFoundError, ProtocolError, ServerError} from '../../src/errors.js'
import {
  client,
  JOB_ID,
  JOB_PATH,
  loginAnswer,
  loopbackServers,
  memoryStore,
  PASSWORD,
  rejection,
  SERVER,
  tokenExpiringIn,
  tokenSet,
  useNock,
} from '../helpers/fixtures/client-fixtures.js'
import {wireJob} from '../helpers/fixtures/job-fixtures.js'
import {
  type HostileServer,
  recorded,
  type RecordedRequest,
  startHostileServer,
} from '../helpers/servers/hostile-server.js'

const MiB = 1024 * 1024

/** A nock reply that answers `body` and notes in `times` when it was asked for. */
function answerNoting(times: number[], body: object): () => object {
  return () => {
    times.push(Date.now())
    return body
  }
}

/** A loopback server's answer: an empty JSON object. */
function answerEmpty(_request: RecordedRequest, response: ServerResponse): void {
  response.end('{}')
}

describe('Transport', () => {
  describe('with nock', () => {
    useNock()

    describe('retries', () => {
      it('retries a 429 after the Retry-After it names', async () => {
        const times: number[] = []
        nock(SERVER)
          .get(JOB_PATH)
          .reply(429, answerNoting(times, {detail: 'Server at capacity', retry_after_seconds: 1}), {'retry-after': '1'})
          .get(JOB_PATH)
          .reply(200, answerNoting(times, wireJob({job_id: JOB_ID})))
        await client({staticToken: 'tok-1234'}).getJob(JOB_ID)
        expect(times).to.have.length(2)
        // Honoured: the retry waited the second the server asked for (a lower bound, not a timing race).
        expect(times[1] - times[0]).to.be.at.least(950)
      })

      it('does not wait longer than allowed: a Retry-After past the limit is an error that says when to retry', async () => {
        nock(SERVER)
          .get(JOB_PATH)
          .once()
          .reply(429, {detail: 'Server at capacity', retry_after_seconds: 120}, {'retry-after': '120'})
        const error = await rejection(
          client({staticToken: 'tok-1234'}, {retry: {baseDelayMs: 1, maxRetryAfterMs: 5000}}).getJob(JOB_ID),
        )
        expect(error).to.be.instanceOf(ServerError)
        expect(error.status).to.equal(429)
        expect(error.message).to.equal('Server at capacity (retry in 120 s)')
      })

      it('reads a Retry-After given as an HTTP date, and falls back to the body', async () => {
        const inAMinute = new Date(Date.now() + 60_000).toUTCString()
        nock(SERVER)
          .get(JOB_PATH)
          .reply(429, {detail: 'Busy'}, {'retry-after': inAMinute})
          .get(JOB_PATH)
          .reply(429, {detail: 'Busy', retry_after_seconds: 90})
          .get(JOB_PATH)
          .reply(429, {detail: 'Busy'}, {'retry-after': 'soon'})
        const jobs = client({staticToken: 'tok-1234'}, {retry: {limit: 0}})
        expect((await rejection(jobs.getJob(JOB_ID))).message).to.match(/^Busy \(retry in (59|60) s\)$/)
        expect((await rejection(jobs.getJob(JOB_ID))).message).to.equal('Busy (retry in 90 s)')
        expect((await rejection(jobs.getJob(JOB_ID))).message).to.equal('Busy')
      })

      it('does not start a retry whose wait outlasts what is left of the request timeout', async () => {
        nock(SERVER).get(JOB_PATH).once().reply(503, {detail: 'Storage is busy'}, {'retry-after': '1'})
        const error = await rejection(client({staticToken: 'tok-1234'}, {timeouts: {responseMs: 500}}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(ServerError)
        expect(error.message).to.equal('The server failed: Storage is busy (HTTP 503)')
      })

      it('retries a 502 HTML page a bounded number of times, then says it got HTML', async () => {
        const html = '<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>'
        nock(SERVER).get(JOB_PATH).times(3).reply(502, html, {'content-type': 'text/html'})
        const error = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(ServerError)
        expect(error.exitCode).to.equal(1)
        expect(error.status).to.equal(502)
        expect(error.message).to.equal(
          `The server at ${SERVER} answered 502 with an HTML page instead of JSON (a proxy or gateway problem?)`,
        )
      })

      it('retries a 503 and succeeds when the server recovers', async () => {
        nock(SERVER)
          .get(JOB_PATH)
          .reply(503, {error: 'service_unavailable', message: 'Storage is busy', retry_after: 0})
          .get(JOB_PATH)
          .reply(504, '')
          .get(JOB_PATH)
          .reply(200, wireJob({job_id: JOB_ID}))
        expect((await client({staticToken: 'tok-1234'}).getJob(JOB_ID)).job_id).to.equal(JOB_ID)
      })

      it('retries at most `limit` times: 1 + 2 requests by default, 1 + limit when set', async () => {
        nock(SERVER).get(JOB_PATH).times(3).reply(503, {error: 'service_unavailable', message: 'Storage is busy'})
        const error = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
        expect(error.message).to.equal('The server failed: Storage is busy (HTTP 503)')
        nock(SERVER).get(JOB_PATH).times(5).reply(503, {error: 'service_unavailable'})
        const lines: string[] = []
        await rejection(
          client(
            {staticToken: 'tok-1234'},
            {debug: (line) => lines.push(line), retry: {baseDelayMs: 1, limit: 4}},
          ).getJob(JOB_ID),
        )
        expect(lines.filter((line) => line.startsWith('retry '))).to.have.length(4)
      })

      it('caps the backoff at maxDelayMs (a 60 s step would outlast the test)', async () => {
        nock(SERVER)
          .get(JOB_PATH)
          .reply(503, '')
          .get(JOB_PATH)
          .reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({staticToken: 'tok-1234'}, {retry: {baseDelayMs: 60_000, maxDelayMs: 10, limit: 1}})
        expect((await jobs.getJob(JOB_ID)).job_id).to.equal(JOB_ID)
      })

      it('retries a connection reset of an idempotent request', async () => {
        nock(SERVER)
          .get(JOB_PATH)
          .replyWithError(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
          .get(JOB_PATH)
          .reply(200, wireJob({job_id: JOB_ID}))
        expect((await client({staticToken: 'tok-1234'}).getJob(JOB_ID)).job_id).to.equal(JOB_ID)
      })

      for (const status of [400, 404, 422]) {
        it(`does not retry a ${status}`, async () => {
          nock(SERVER)
            .get(JOB_PATH)
            .once()
            .reply(status, {detail: `status ${status}`}, {'retry-after': '0'})
          const error = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
          expect(error.status).to.equal(status)
        })
      }

      it('does not repeat a DELETE after a 5xx or a reset connection (the server may have acted)', async () => {
        nock(SERVER)
          .delete(JOB_PATH)
          .once()
          .reply(503, {error: 'service_unavailable', message: 'Storage is busy', retry_after: 0}, {'retry-after': '0'})
        const error = await rejection(client({staticToken: 'tok-1234'}).cancelJob(JOB_ID))
        expect(error).to.be.instanceOf(ServerError)
        expect(error.status).to.equal(503)
        nock(SERVER)
          .delete(JOB_PATH)
          .once()
          .replyWithError(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
        const reset = await rejection(client({staticToken: 'tok-1234'}).cancelJob(JOB_ID))
        expect(reset).to.be.instanceOf(NetworkError)
        expect(reset.message).to.equal(`Cannot reach ${SERVER}: the connection was reset`)
      })
    })

    describe('bodies that break the contract', () => {
      const cases: Array<[string, string, Record<string, string>, RegExp]> = [
        [
          'malformed JSON',
          '{"job_id": "a", oops}',
          {'content-type': 'application/json'},
          /sent a malformed JSON body \(status 200\)/,
        ],
        [
          'a truncated body',
          '{"jobs": [{"job_id": "a", "created_at": "2026-11-2',
          {'content-type': 'application/json'},
          /malformed JSON body/,
        ],
        [
          'an HTML page',
          '<!doctype html><html><body>Login portal</body></html>',
          {'content-type': 'text/html'},
          /answered with an HTML page, not JSON \(status 200\)/,
        ],
      ]
      for (const [what, body, headers, message] of cases) {
        it(`${what} on a 200 is a protocol error`, async () => {
          nock(SERVER).get('/api/jobs').query(true).reply(200, body, headers)
          const error = await rejection(client({staticToken: 'tok-1234'}).listPage({}))
          expect(error).to.be.instanceOf(ProtocolError)
          expect(error.exitCode).to.equal(1)
          expect(error.message).to.match(message)
        })
      }
    })

    it('a GET redirected from https to http on the same host goes without its Authorization header', async () => {
      nock('https://cidx.test')
        .get(JOB_PATH)
        .reply(302, '', {location: `http://cidx.test${JOB_PATH}`})
      // The token would cross in clear: with it, this answer does not match (and the request fails).
      nock('http://cidx.test', {badheaders: ['authorization']})
        .get(JOB_PATH)
        .reply(200, wireJob({job_id: JOB_ID}))
      const job = await new JobsClient({
        env: {},
        credentials: {serverUrl: 'https://cidx.test', source: 'env', staticToken: 'tok-1234'},
      }).getJob(JOB_ID)
      expect(job.job_id).to.equal(JOB_ID)
    })

    it('writes one redacted debug line per request and retry', async () => {
      const lines: string[] = []
      nock(SERVER)
        .get(JOB_PATH)
        .reply(503, '')
        .get(JOB_PATH)
        .reply(200, wireJob({job_id: JOB_ID}))
      await client({staticToken: 'tok-secret-1234'}, {debug: (line) => lines.push(line)}).getJob(JOB_ID)
      expect(lines).to.have.length(2)
      expect(lines[0]).to.equal(`retry 1 of GET ${SERVER}${JOB_PATH} after 503`)
      expect(lines[1]).to.match(new RegExp(`^GET ${SERVER}${JOB_PATH} → 200 \\(\\d+ ms\\)$`))
    })
  })

  describe('over real sockets', () => {
    const {listen} = loopbackServers()

    /** A server that records every request (with its body) and answers each with `answer`. */
    async function recorder(
      answer: (request: RecordedRequest, response: ServerResponse) => Promise<void> | void = answerEmpty,
    ) {
      const requests: RecordedRequest[] = []
      const address = await listen(
        createHttpServer(async (request, response) => {
          const seen = await recorded(request)
          requests.push(seen)
          await answer(seen, response)
        }),
      )
      return {url: `http://${address}`, requests}
    }

    it('a server that does not answer in time is a network error, exit 5, with no retry past the timeout', async () => {
      let requests = 0
      const address = await listen(
        createHttpServer(() => {
          requests++ // and never answer
        }),
      )
      const jobs = new JobsClient({
        env: {},
        credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'},
        retry: {baseDelayMs: 1, limit: 1},
        timeouts: {responseMs: 150},
      })
      const error = await rejection(jobs.getJob(JOB_ID))
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(`Timed out talking to http://${address}: no answer within 0.15 s`)
      // The one attempt spent the whole budget: a retry could not have started in time.
      expect(requests).to.equal(1)
    })

    describe('a hostile server', () => {
      let hostile: HostileServer

      before(async () => {
        hostile = await startHostileServer()
      })

      after(async () => {
        await hostile.close()
      })

      function at(route: string, options: Partial<ClientOptions> = {}): JobsClient {
        return new JobsClient({
          env: {},
          credentials: {serverUrl: `${hostile.url}/${route}`, source: 'env', staticToken: 'tok-1234'},
          retry: {baseDelayMs: 1},
          ...options,
        })
      }

      it('a body dripped slower than the request timeout is cut off there, saying the answer was still arriving', async () => {
        const started = Date.now()
        const error = await rejection(at('drip', {timeouts: {responseMs: 500}}).listPage({}))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.message).to.equal(
          `Timed out talking to ${hostile.url}/drip: the answer (HTTP 200) was still arriving after 0.5 s`,
        )
        expect(error.hint).to.match(/CIDX_REQUEST_TIMEOUT .* retries included/)
        expect(Date.now() - started).to.be.below(3000)
      })

      for (const route of ['huge-listing', 'huge-detail']) {
        it(`${route}: 50 MB sent chunked is a protocol error at 8 MiB, the rest not downloaded`, async () => {
          const before = hostile.requests.length
          const error = await rejection(at(route).listPage({}))
          expect(error).to.be.instanceOf(ProtocolError)
          expect(error.exitCode).to.equal(1)
          expect(error.message).to.equal(
            `The answer from ${hostile.url}/${route} is larger than 8 MiB, the most cidx reads: stopped reading it`,
          )
          expect(hostile.requests.length - before, 'requests (no retry)').to.equal(1)
          // What loopback buffers comes on top of the 8 MiB read, but not the whole 50 MB.
          expect(hostile.sent[route]).to.be.below(24 * MiB)
        })
      }

      it('a long error text is cut to 1000 characters, saying how many were cut', async () => {
        const error = await rejection(at('long-detail').listPage({}))
        expect(error).to.be.instanceOf(NotFoundError)
        expect(error.message).to.equal(`Job not found: ${'z'.repeat(985)}… (99015 characters cut)`)
      })

      it('a GET follows a redirect to another origin without its Authorization header', async () => {
        const before = hostile.elsewhere.requests.length
        await at('redirect-away').listPage({})
        const [followed] = hostile.elsewhere.requests.slice(before)
        expect(followed.url).to.equal('/api/jobs?limit=50&offset=0')
        expect(followed.headers.authorization).to.equal(undefined)
      })

      it('a redirect loop is a network error that shows the loop', async () => {
        const error = await rejection(at('loop').getJob(JOB_ID))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.exitCode).to.equal(5)
        expect(error.message).to.equal(
          `Too many redirects: ${hostile.url}/loop${JOB_PATH} → ${hostile.url}/loop-back${JOB_PATH} → ${hostile.url}/loop${JOB_PATH}`,
        )
      })

      it('a redirect to file:// is a network error that names it', async () => {
        const error = await rejection(at('to-file').getJob(JOB_ID))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.message).to.equal(
          `The server at ${hostile.url}/to-file redirected to file:///etc/passwd, which is not HTTP(S)`,
        )
      })
    })

    describe('redirects of requests with credentials or a body', () => {
      it('a login redirected within its origin (307) is followed, body and all', async () => {
        const token = tokenExpiringIn(600)
        const server = await recorder((request, response) => {
          if (request.url === '/auth/login') response.writeHead(307, {location: '/v2/auth/login'}).end()
          else response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(loginAnswer(token)))
        })
        const result = await new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login(
          'alice',
          PASSWORD,
        )
        expect(result.tokens.accessToken).to.equal(token)
        expect(
          server.requests.map((request) => [request.method, request.url, JSON.parse(request.body).password]),
        ).to.deep.equal([
          ['POST', '/auth/login', PASSWORD],
          ['POST', '/v2/auth/login', PASSWORD],
        ])
      })

      for (const status of [301, 302, 303, 307, 308]) {
        it(`a login answered ${status} to another origin is refused: nothing reaches it, exit 5, both URLs named without secrets`, async () => {
          const elsewhere = await recorder()
          const away = new URL(elsewhere.url)
          const server = await recorder((_request, response) => {
            response
              .writeHead(status, {location: `http://mallory:hunter22@${away.host}/collect?sig=s3cr3t-value`})
              .end()
          })
          const error = await rejection(
            new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login('alice', PASSWORD),
          )
          expect(elsewhere.requests, 'requests that reached the other origin').to.deep.equal([])
          expect(error).to.be.instanceOf(NetworkError)
          expect(error.exitCode).to.equal(5)
          expect(error.message).to.equal(
            `The server redirected POST ${server.url}/auth/login to ${elsewhere.url}/collect?…, another origin: not followed (a request with credentials or a body stays on its server)`,
          )
          for (const secret of ['hunter22', 's3cr3t-value', PASSWORD])
            expect(JSON.stringify(error.toJSON())).not.to.include(secret)
        })
      }

      it('a login redirected to the same host on another scheme is refused too', async () => {
        const server = await recorder((_request, response) => {
          response.writeHead(307, {location: `https://${new URL(server.url).host}/auth/login`}).end()
        })
        const error = await rejection(
          new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login('alice', PASSWORD),
        )
        expect(error.message).to.match(
          /^The server redirected POST http:\/\/127\.0\.0\.1:\d+\/auth\/login to https:\/\/127\.0\.0\.1:\d+\/auth\/login, another origin/,
        )
        expect(server.requests).to.have.length(1)
      })

      it('a token refresh and a cancel redirected to another origin are refused', async () => {
        const elsewhere = await recorder()
        const server = await recorder((_request, response) => {
          response.writeHead(307, {location: `${elsewhere.url}/x`}).end()
        })
        const {store} = memoryStore(tokenSet(tokenExpiringIn(-60), 'rt-secret-1'))
        const refresh = await rejection(
          new JobsClient({env: {}, credentials: {serverUrl: server.url, source: 'login', tokenStore: store}}).getJob(
            JOB_ID,
          ),
        )
        expect(refresh.message).to.match(/^The server redirected POST .*\/api\/auth\/refresh to .*\/x, another origin/)
        const cancel = await rejection(
          new JobsClient({
            env: {},
            credentials: {serverUrl: server.url, source: 'env', staticToken: 'tok-1234'},
          }).cancelJob(JOB_ID),
        )
        expect(cancel.message).to.match(
          new RegExp(`^The server redirected DELETE .*${JOB_PATH} to .*/x, another origin`),
        )
        expect(elsewhere.requests).to.deep.equal([])
      })

      it('too many redirects: the URLs it went through', async () => {
        const server = await recorder((request, response) => {
          const hop = Number(/^\/hop\/(\d+)/.exec(request.url)?.[1])
          response.writeHead(302, {location: request.url.replace(/^\/hop\/\d+/, `/hop/${hop + 1}`)}).end()
        })
        const error = await rejection(
          new JobsClient({
            env: {},
            credentials: {serverUrl: `${server.url}/hop/0`, source: 'env', staticToken: 'tok-1234'},
          }).getJob(JOB_ID),
        )
        const hops = [0, 1, 2, 3, 4, 5].map((hop) => `${server.url}/hop/${hop}${JOB_PATH}`)
        expect(error.message).to.equal(`Too many redirects: ${hops.join(' → ')} → …`)
      })

      it('each redirect gets only what is left of the request timeout', async () => {
        const server = await recorder(async (request, response) => {
          if (!request.url.startsWith('/slow-hop')) return // /silent never answers
          await sleep(1500)
          response.writeHead(302, {location: '/silent'}).end()
        })
        const started = Date.now()
        const error = await rejection(
          new JobsClient({
            env: {},
            credentials: {serverUrl: `${server.url}/slow-hop`, source: 'env', staticToken: 'tok-1234'},
            timeouts: {responseMs: 2000},
          }).getJob(JOB_ID),
        )
        expect(error.message).to.equal(`Timed out talking to ${server.url}/slow-hop: no answer within 2 s`)
        // What is left ends at 2 s; a fresh 2 s after the hop would end at 3.5 s.
        expect(Date.now() - started).to.be.below(3000)
      })
    })

    describe('answers near the 8 MiB cap', () => {
      it('one that announces more than 8 MiB is refused before its body arrives', async () => {
        let requests = 0
        const address = await listen(
          createHttpServer((_request, response) => {
            requests++
            response.writeHead(200, {'content-type': 'application/json', 'content-length': String(100 * MiB)})
            response.write('{"jobs": [') // and nothing more: only the announcement can end this in time
          }),
        )
        const error = await rejection(
          new JobsClient({
            env: {},
            credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'},
          }).listPage({}),
        )
        expect(error).to.be.instanceOf(ProtocolError)
        expect(error.message).to.equal(
          `The answer from http://${address} is larger than 8 MiB, the most cidx reads: stopped reading it`,
        )
        expect(requests).to.equal(1)
      })

      it('one just under the cap is read whole', async () => {
        const listing = JSON.stringify({
          jobs: [wireJob({result: {log: 'x'.repeat(7 * MiB)}})],
          total: 1,
          limit: 50,
          offset: 0,
        })
        const address = await listen(
          createHttpServer((_request, response) =>
            response.writeHead(200, {'content-type': 'application/json'}).end(listing),
          ),
        )
        const page = await new JobsClient({
          env: {},
          credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'},
        }).listPage({})
        expect(page.jobs).to.have.length(1)
      })
    })
  })
})
