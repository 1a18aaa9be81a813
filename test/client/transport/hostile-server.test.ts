import {expect} from 'chai'

import {type ClientOptions} from '../../../src/client/cidx-client.js'
import {JobsClient} from '../../../src/client/jobs-client.js'
import {NetworkError, NotFoundError, ProtocolError} from '../../../src/errors.js'
import {JOB_ID, JOB_PATH, rejection} from '../../helpers/fixtures/client-fixtures.js'
import {type HostileServer, startHostileServer} from '../../helpers/servers/hostile-server.js'

/** The transport against a server that drips, floods, rambles and redirects where it must not. */

const MiB = 1024 * 1024

describe('Transport over real sockets', () => {
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
      const error = await rejection(at('long-detail').getJob(JOB_ID))
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
})
