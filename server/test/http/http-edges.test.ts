import {expect} from 'chai'

import {Api, type ValidationErrorBody} from '../support/api.js'
import {nodeRequest, rawBody, rawExchange} from '../support/raw-http.js'
import {startTestServer, type TestServer} from '../support/server-fixture.js'

const ENVELOPE_KEYS = ['error', 'message', 'detail', 'correlation_id', 'timestamp', 'details']

function nested(depth: number, leaf = '1'): string {
  return '['.repeat(depth) + leaf + ']'.repeat(depth)
}

describe('server: the edges of HTTP', () => {
  let test: TestServer
  let api: Api
  let port: string

  before(async () => {
    test = await startTestServer()
    api = test.api
    port = new URL(test.server.url).port
  })

  after(() => test.stop())

  describe('integer query parameters', () => {
    for (const value of ['1e20', 'Infinity', '-Infinity', '9223372036854775808', '9007199254740993', '1.5']) {
      it(`answers offset=${value} 422 in the validation envelope, echoing what was sent`, async () => {
        const response = await api.get<ValidationErrorBody>(
          `/api/jobs?offset=${encodeURIComponent(value)}`,
          test.adminToken,
        )
        expect(response.status).to.equal(422)
        expect(Object.keys(response.body)).to.have.members(ENVELOPE_KEYS)
        expect(response.body.detail).to.have.length(1)
        expect(response.body.detail[0]).to.include({input: value, type: 'int_parsing'})
        expect(response.body.detail[0].loc).to.deep.equal(['query', 'offset'])
      })
    }

    it('refuses the same values for limit and max_age_hours', async () => {
      expect((await api.get<ValidationErrorBody>('/api/jobs?limit=1e20', test.adminToken)).body.detail[0]).to.include({
        input: '1e20',
        type: 'int_parsing',
      })
      const cleanup = await api.delete<ValidationErrorBody>(
        '/api/admin/jobs/cleanup?max_age_hours=Infinity',
        test.adminToken,
      )
      expect(cleanup.status).to.equal(422)
      expect(cleanup.body.detail[0].loc).to.deep.equal(['query', 'max_age_hours'])
    })

    it('echoes a single value the schema made a list (job_id) as sent', async () => {
      const id = 'a'.repeat(2001)
      const response = await api.get<ValidationErrorBody>(`/api/jobs/events?job_id=${id}`, test.adminToken)
      expect(response.status).to.equal(422)
      expect(response.body.detail[0]).to.include({type: 'string_too_long', input: id})
      expect(response.body.detail[0].loc).to.deep.equal(['query', 'job_id', 0])
    })

    it('takes -0 as 0 and the largest exact integer as it is, as Python would', async () => {
      expect((await api.get('/api/jobs?offset=-0', test.adminToken)).body).to.include({offset: 0})
      expect((await api.get('/api/jobs?offset=9007199254740991', test.adminToken)).body).to.include({
        offset: 9_007_199_254_740_991,
        total: 0,
      })
    })
  })

  describe('deeply nested JSON', () => {
    for (const path of ['/auth/login', '/api/keys']) {
      it(`answers 5000 levels on ${path} 422 json_invalid without echoing the body`, async () => {
        const response = await api.request('POST', path, {token: test.adminToken, rawBody: nested(5000)})
        expect(response.status).to.equal(422)
        expect(Object.keys(response.body)).to.have.members(ENVELOPE_KEYS)
        expect(response.body.detail).to.deep.equal([
          {
            loc: ['body'],
            msg: 'JSON decode error',
            type: 'json_invalid',
            input: {},
            ctx: {error: 'Nested more than 32 levels deep'},
          },
        ])
        expect(response.text).to.not.include('[[')
      })
    }

    it('takes a body nested 32 levels deep (strings with brackets do not count)', async () => {
      const body = `{"name": "[[[{{{ not nesting", "extra": ${nested(31)}}`
      const response = await api.request('POST', '/api/keys', {token: test.adminToken, rawBody: body})
      expect(response.status, response.text).to.equal(201)
    })
  })

  describe("Fastify's own errors, in the contract's shapes", () => {
    it('answers a malformed percent-escape 400 {"detail"} without echoing the URL', async () => {
      for (const path of ['/api/jobs/%', '/api/jobs/%zz']) {
        const response = await api.get(path, test.adminToken)
        expect(response.status).to.equal(400)
        expect(response.body).to.deep.equal({detail: 'Invalid URL: malformed percent-encoding'})
      }
    })

    it('answers an overlong path segment 414 {"detail"}', async () => {
      const response = await api.get(`/api/jobs/${'a'.repeat(300)}`, test.adminToken)
      expect(response.status).to.equal(414)
      expect(response.body).to.deep.equal({detail: 'URI Too Long: a path segment is longer than this server accepts'})
    })

    it('answers a content type it does not read 415, a body too large 413, an unknown route 404: all {"detail"}', async () => {
      const form = await api.request('POST', '/api/keys', {
        token: test.adminToken,
        rawBody: 'name=x',
        headers: {'content-type': 'application/x-www-form-urlencoded'},
      })
      expect(form.status).to.equal(415)
      expect(Object.keys(form.body)).to.deep.equal(['detail'])
      const large = await api.post('/api/keys', {name: 'x'.repeat(100_000)}, test.adminToken)
      expect(large.status).to.equal(413)
      expect(Object.keys(large.body)).to.deep.equal(['detail'])
      expect((await api.get('/nothing', test.adminToken)).body).to.deep.equal({detail: 'Not Found'})
    })

    it('answers malformed HTTP 400 and oversized headers 431 as {"detail"}, then closes', async () => {
      const malformed = await rawExchange(
        test.server.url,
        `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nNot a header line\r\n\r\n`,
      )
      expect(malformed).to.match(/^HTTP\/1\.1 400 /)
      expect(rawBody(malformed)).to.deep.equal({detail: 'Bad Request'})
      const oversized = await rawExchange(
        test.server.url,
        `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      )
      expect(oversized).to.match(/^HTTP\/1\.1 431 /)
      expect(rawBody(oversized)).to.deep.equal({detail: 'Request Header Fields Too Large'})
    })
  })

  describe('the Host header (DNS rebinding)', () => {
    it('answers a request naming another host 421 {"detail"}, before authentication', async () => {
      for (const host of [
        `evil.example:${port}`,
        'evil.example',
        `127.0.0.1.evil.example:${port}`,
        `localhost.:${port}`,
      ]) {
        const response = await nodeRequest(test.server.url, '/api/jobs', {
          headers: {host, authorization: `Bearer ${test.adminToken}`},
        })
        expect(response.status, host).to.equal(421)
        expect(response.body).to.deep.equal({detail: 'Misdirected Request: the Host header does not name this server'})
      }

      expect((await nodeRequest(test.server.url, '/health', {headers: {host: 'evil.example'}})).status).to.equal(421)
    })

    it('answers a request without a Host header 421', async () => {
      const answer = await rawExchange(test.server.url, 'GET /health HTTP/1.0\r\n\r\n')
      expect(answer).to.match(/^HTTP\/1\.1 421 /)
    })

    it('serves its own address and the loopback names, on any port (a port forward or a local proxy names its own)', async () => {
      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        `LOCALHOST:${port}`,
        `[::1]:${port}`,
        '127.0.0.1:1',
        'localhost',
      ]) {
        const response = await nodeRequest(test.server.url, '/health', {headers: {host}})
        expect(response.status, host).to.equal(200)
      }
    })

    it('serves the names in allowedHosts, and any IP address when bound to all of them', async () => {
      const open = await startTestServer({host: '0.0.0.0', allowedHosts: ['CIDX.internal']})
      try {
        const url = `http://127.0.0.1:${new URL(open.server.url).port}`
        for (const host of ['cidx.internal:8090', '10.1.2.3:8090', '[fe80::1]:8090', 'localhost']) {
          expect((await nodeRequest(url, '/health', {headers: {host}})).status, host).to.equal(200)
        }

        expect((await nodeRequest(url, '/health', {headers: {host: 'evil.example'}})).status).to.equal(421)
      } finally {
        await open.stop()
      }
    })
  })
})
