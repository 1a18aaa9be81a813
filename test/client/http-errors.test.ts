import {expect} from 'chai'
import nock from 'nock'
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createServer as createHttpServer, type Server} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {mapStatus} from '../../src/client/http-errors.js'
import {JobsClient} from '../../src/client/jobs-client.js'
import {
  AuthError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  ServerError,
  UsageError,
} from '../../src/errors.js'
import {
  client,
  type ErrorClass,
  JOB_ID,
  JOB_PATH,
  loopbackServers,
  rejection,
  SERVER,
  useNock,
} from '../helpers/fixtures/client-fixtures.js'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname

describe('HTTP errors', () => {
  describe('with nock', () => {
    useNock()

    describe('statuses to typed errors and exit codes', () => {
      const cases: Array<['DELETE' | 'GET', number, unknown, ErrorClass, number, string]> = [
        [
          'DELETE',
          400,
          {detail: 'Cannot cancel job in completed status'},
          ConflictError,
          6,
          'Cannot cancel job in completed status',
        ],
        [
          'DELETE',
          403,
          {detail: 'Job not found or not authorized'},
          ForbiddenError,
          4,
          'Job not found or not authorized',
        ],
        [
          'GET',
          403,
          {detail: 'Non-SSO accounts are restricted to Web UI access only'},
          ForbiddenError,
          4,
          'Non-SSO accounts are restricted to Web UI access only',
        ],
        ['GET', 404, {detail: `Job not found: ${JOB_ID}`}, NotFoundError, 4, `Job not found: ${JOB_ID}`],
        ['GET', 400, {detail: 'Bad request'}, UsageError, 2, 'Bad request'],
        [
          'DELETE',
          409,
          {
            detail:
              "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete.",
          },
          ConflictError,
          6,
          "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete.",
        ],
        [
          'DELETE',
          500,
          {
            detail:
              "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete.",
          },
          ConflictError,
          6,
          "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete.",
        ],
        [
          'DELETE',
          500,
          {error: 'internal_server_error', message: 'An internal server error occurred.', correlation_id: 'c-1'},
          ServerError,
          1,
          'The server failed: An internal server error occurred. (HTTP 500)',
        ],
      ]
      for (const [method, status, body, type, exitCode, message] of cases) {
        it(`${method} answered ${status} → ${type.name}, exit ${exitCode}`, async () => {
          const jobs = client({staticToken: 'tok-1234'})
          if (method === 'GET')
            nock(SERVER)
              .get(JOB_PATH)
              .reply(status, body as nock.Body)
          else
            nock(SERVER)
              .delete(JOB_PATH)
              .reply(status, body as nock.Body)
          const error = await rejection(method === 'GET' ? jobs.getJob(JOB_ID) : jobs.cancelJob(JOB_ID))
          expect(error).to.be.instanceOf(type)
          expect(error.exitCode).to.equal(exitCode)
          expect(error.status).to.equal(status)
          expect(error.message).to.equal(message)
        })
      }

      it('mapStatus maps what a request override does not', () => {
        const context = {html: false, retryAfter: null, server: SERVER}
        expect(mapStatus(401, 'Invalid token', context)).to.be.instanceOf(AuthError)
        expect(mapStatus(422, 'query.limit: bad', context)).to.be.instanceOf(UsageError)
        expect(mapStatus(429, 'Too many', {...context, retryAfter: 3}).message).to.equal('Too many (retry in 3 s)')
        expect(mapStatus(504, 'HTTP 504 Gateway Timeout', context).message).to.equal(
          'The server failed: HTTP 504 Gateway Timeout (HTTP 504)',
        )
        expect(mapStatus(503, 'x', {...context, html: true})).to.be.instanceOf(ServerError)
        expect(mapStatus(401, 'x', {...context, html: true})).to.be.instanceOf(ProtocolError)
      })
    })

    describe('error bodies', () => {
      it('a 4xx HTML page is a protocol error; a 500 plain-text page keeps its words and is not retried', async () => {
        nock(SERVER).get(JOB_PATH).reply(404, '<html><body>Not here</body></html>', {'content-type': 'text/html'})
        const html = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
        expect(html).to.be.instanceOf(ProtocolError)
        expect(html.message).to.match(/answered 404 with an HTML page/)
        nock(SERVER).get(JOB_PATH).once().reply(500, 'upstream exploded', {'content-type': 'text/plain'})
        const text = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
        expect(text.message).to.equal('The server failed: upstream exploded (HTTP 500)')
      })

      it('an empty error body names the HTTP status', async () => {
        nock(SERVER).get(JOB_PATH).reply(418, '')
        const error = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(ServerError)
        expect(error.message).to.equal("HTTP 418 I'm a Teapot")
      })
    })
  })

  describe('over real sockets', () => {
    const {listen} = loopbackServers()

    it('connection refused is a network error, exit 5', async () => {
      const refusing = createHttpServer()
      const address = await listen(refusing)
      await new Promise((resolve) => {
        refusing.close(resolve)
      })
      const error = await rejection(
        new JobsClient({
          env: {},
          credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'},
          retry: {baseDelayMs: 1},
        }).getJob(JOB_ID),
      )
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(`Cannot reach http://${address}: connection refused`)
      expect(error.hint).to.match(/--server/)
    })

    it('https:// against a port that speaks plain HTTP says so and names the http:// URL, no OpenSSL internals', async () => {
      const plain = createHttpServer((_request, response) => response.end('{}'))
      const address = await listen(plain)
      const error = await rejection(
        new JobsClient({
          env: {},
          credentials: {serverUrl: `https://${address}`, source: 'env', staticToken: 'tok-1234'},
          retry: {baseDelayMs: 1},
        }).getJob(JOB_ID),
      )
      expect(error).to.be.instanceOf(NetworkError)
      expect(error).to.include({
        exitCode: 5,
        message: `The server at https://${address} does not speak TLS on that port`,
        hint: `Try http://${address} (with --server or CIDX_SERVER_URL), or the port where it serves HTTPS.`,
      })
    })

    it('an answer cut off mid-body is a network error that says so, after bounded retries', async () => {
      let requests = 0
      const address = await listen(
        createHttpServer((_request, response) => {
          requests++
          response.writeHead(200, {'content-type': 'application/json', 'content-length': '500'})
          response.write('{"job_id": "3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44", "status": "runn')
          setTimeout(() => response.socket?.destroy(), 20)
        }),
      )
      const jobs = new JobsClient({
        env: {},
        credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'},
        retry: {baseDelayMs: 1},
      })
      const error = await rejection(jobs.getJob(JOB_ID))
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(
        `The answer from http://${address} was cut off: the connection closed after status 200, before the body was complete`,
      )
      expect(requests).to.equal(3)
    })

    describe('TLS', () => {
      let dir: string
      let certPath: string
      let tls: {cert: Buffer; key: Buffer}

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'cidx-tls-'))
        certPath = join(dir, 'cert.pem')
        const keyPath = join(dir, 'key.pem')
        await run('openssl', [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost,IP:127.0.0.1',
          '-days',
          '1',
          '-keyout',
          keyPath,
          '-out',
          certPath,
        ])
        tls = {key: await readFile(keyPath), cert: await readFile(certPath)}
      })

      after(async () => {
        await rm(dir, {recursive: true, force: true})
      })

      async function healthServer(): Promise<string> {
        const server = createHttpsServer(tls, (_request, response) => {
          response
            .writeHead(200, {'content-type': 'application/json'})
            .end(JSON.stringify({status: 'healthy', features: ['job_filters']}))
        })
        return `https://${await listen(server as unknown as Server)}`
      }

      it('a self-signed server certificate is a network error, exit 5, that names the problem', async () => {
        const url = await healthServer()
        const error = await rejection(
          new JobsClient({
            env: {},
            credentials: {serverUrl: url, source: 'env', staticToken: 'tok-1234'},
            retry: {baseDelayMs: 1},
          }).getJob(JOB_ID),
        )
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.exitCode).to.equal(5)
        expect(error.message).to.equal(
          `TLS error talking to ${url}: the server certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)`,
        )
        expect(error.hint).to.match(/NODE_EXTRA_CA_CERTS/)
      })

      it('the same server works when NODE_EXTRA_CA_CERTS names its certificate', async () => {
        const url = await healthServer()
        const script = [
          "const {JobsClient} = await import('./src/client/jobs-client.ts')",
          'const client = new JobsClient({env: {}, credentials: {serverUrl: process.env.URL, source: "env", staticToken: "tok-1234"}})',
          'console.log(JSON.stringify([...await client.serverFeatures()]))',
        ].join('\n')
        // Under c8 the child's coverage goes elsewhere: merged with ours, its copy of src/ spoils the report.
        const coverage = process.env.NODE_V8_COVERAGE ? {NODE_V8_COVERAGE: join(dir, 'child-coverage')} : {}
        const {stdout} = await run(
          process.execPath,
          ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', script],
          {
            cwd: ROOT,
            env: {...process.env, ...coverage, NODE_EXTRA_CA_CERTS: certPath, URL: url},
          },
        )
        // serverFeatures() reads /health: the features arrive only over a trusted connection.
        expect(JSON.parse(stdout)).to.deep.equal(['job_filters'])
      })
    })
  })
})
