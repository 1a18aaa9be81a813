import {expect} from 'chai'
import nock from 'nock'

import {NetworkError, ServerError} from '../../../src/errors.js'
import {client, JOB_ID, JOB_PATH, rejection, SERVER, useNock} from '../../helpers/fixtures/client-fixtures.js'
import {wireJob} from '../../helpers/fixtures/job-fixtures.js'

/** The transport's retries: which failures it repeats, how long it waits, and when it gives up. */

/** A nock reply that answers `body` and notes in `times` when it was asked for. */
function answerNoting(times: number[], body: object): () => object {
  return () => {
    times.push(Date.now())
    return body
  }
}

describe('Transport with nock', () => {
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
