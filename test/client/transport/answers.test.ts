import {expect} from 'chai'
import nock from 'nock'
import {createServer as createHttpServer} from 'node:http'

import {JobsClient} from '../../../src/client/jobs-client.js'
import {NetworkError, ProtocolError} from '../../../src/errors.js'
import {client, JOB_ID, loopbackServers, rejection, SERVER, useNock} from '../../helpers/fixtures/client-fixtures.js'
import {wireJob} from '../../helpers/fixtures/job-fixtures.js'

/** How the transport reads an answer: as JSON, within the request timeout, and up to 8 MiB. */

const MiB = 1024 * 1024

describe('Transport with nock', () => {
  useNock()

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
})

describe('Transport over real sockets', () => {
  const {listen} = loopbackServers()

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
