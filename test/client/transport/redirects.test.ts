import {expect} from 'chai'
import nock from 'nock'
import {createServer as createHttpServer, type ServerResponse} from 'node:http'
import {setTimeout as sleep} from 'node:timers/promises'

import {CidxClient} from '../../../src/client/cidx-client.js'
import {JobsClient} from '../../../src/client/jobs-client.js'
import {NetworkError} from '../../../src/errors.js'
import {
  JOB_ID,
  JOB_PATH,
  loginAnswer,
  loopbackServers,
  memoryStore,
  PASSWORD,
  rejection,
  tokenExpiringIn,
  tokenSet,
  useNock,
} from '../../helpers/fixtures/client-fixtures.js'
import {wireJob} from '../../helpers/fixtures/job-fixtures.js'
import {recorded, type RecordedRequest} from '../../helpers/servers/hostile-server.js'

/** The redirects the transport follows, the headers it drops on the way, and the ones it refuses. */

/** A loopback server's answer: an empty JSON object. */
function answerEmpty(_request: RecordedRequest, response: ServerResponse): void {
  response.end('{}')
}

describe('Transport with nock', () => {
  useNock()

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
})

describe('Transport over real sockets', () => {
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
          response.writeHead(status, {location: `http://mallory:hunter22@${away.host}/collect?sig=s3cr3t-value`}).end()
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
      expect(cancel.message).to.match(new RegExp(`^The server redirected DELETE .*${JOB_PATH} to .*/x, another origin`))
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
})
