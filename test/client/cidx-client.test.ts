import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {createServer as createHttpServer, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import nock from 'nock'

import {CidxClient, type ClientOptions, mapStatus} from '../../src/client/cidx-client.js'
import type {Credentials, TokenSet, TokenStore} from '../../src/auth/credentials.js'
import {AuthError, CliError, ConflictError, ForbiddenError, NetworkError, NotFoundError, ProtocolError, ServerError, UsageError} from '../../src/errors.js'
import {JobsClient} from '../../src/client/jobs-client.js'
import {fakeJwt} from '../helpers/fake-jwt.js'
import {wireJob} from '../helpers/job-fixtures.js'
import {type HostileServer, recorded, type RecordedRequest, startHostileServer} from '../helpers/hostile-server.js'

// nock patches node:http on import; it is switched on only around the tests that use it.
nock.restore()

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname
const SERVER = 'http://cidx.test:8000'
const JOB_ID = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
const JOB_PATH = `/api/jobs/${JOB_ID}`
const PASSWORD = 'pa55 word!'
const MiB = 1024 * 1024

/** A JWT that expires `seconds` from now (a float, as a real server writes it). */
function tokenExpiringIn(seconds: number, claims: Record<string, unknown> = {}): string {
  return fakeJwt({username: 'alice', role: 'normal_user', iat: Date.now() / 1000, jti: Math.random().toString(36), ...claims, exp: Date.now() / 1000 + seconds})
}

function tokenSet(accessToken: string, refreshToken?: string): TokenSet {
  const exp = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).exp as number
  return {accessToken, accessTokenExpiresAt: Math.round(exp * 1000), ...(refreshToken ? {refreshToken} : {})}
}

/** A TokenStore in memory that records what the client saves. */
function memoryStore(initial: TokenSet | null, options: {loadDelayMs?: number} = {}) {
  const saved: Array<TokenSet | null> = []
  let held = initial
  const store: TokenStore = {
    async load() {
      if (options.loadDelayMs) await new Promise((resolve) => setTimeout(resolve, options.loadDelayMs))
      return held
    },
    async save(tokens) {
      saved.push(tokens)
      held = tokens
    },
  }
  return {saved, store}
}

/** A client for the nock tests; `env: {}` everywhere keeps the machine's proxy variables out of the tests. */
function client(credentials: Partial<Credentials> = {}, options: Partial<ClientOptions> = {}): JobsClient {
  return new JobsClient({
    env: {},
    credentials: {serverUrl: SERVER, source: 'env', ...credentials},
    retry: {baseDelayMs: 1},
    ...options,
  })
}

function loginAnswer(accessToken: string, refreshToken?: string, role = 'normal_user') {
  return {access_token: accessToken, token_type: 'bearer', user: {username: 'alice', role}, ...(refreshToken ? {refresh_token: refreshToken, refresh_token_expires_in: 604_800} : {})}
}

/** A typed error class, whatever its constructor takes. */
type ErrorClass = abstract new (...args: never[]) => CliError

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(CliError)
    return error as CliError
  }

  return expect.fail('expected a rejection')
}

describe('CidxClient', () => {
  describe('with nock', () => {
    before(() => {
      nock.activate()
      nock.disableNetConnect()
    })
    after(() => {
      nock.cleanAll()
      nock.enableNetConnect()
      nock.restore()
    })
    afterEach(() => {
      const pending = nock.pendingMocks()
      nock.cleanAll()
      expect(pending, 'requests the test expected but the client never made').to.deep.equal([])
    })

    describe('authentication', () => {
      it('answers a 401 by refreshing once and repeating the request once with the new token', async () => {
        const old = tokenExpiringIn(600)
        const fresh = tokenExpiringIn(600, {jti: 'fresh'})
        const {saved, store} = memoryStore(tokenSet(old, 'rt-1'))
        nock(SERVER)
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${old}`)
          .reply(401, {detail: 'Token has been revoked'})
          .post('/api/auth/refresh', {refresh_token: 'rt-1'})
          .reply(200, {...loginAnswer(fresh, 'rt-2'), access_token_expires_in: 600})
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const job = await client({tokenStore: store}).getJob(JOB_ID)
        expect(job.job_id).to.equal(JOB_ID)
        // Rotation: the new pair replaces the spent one in the store.
        expect(saved).to.deep.equal([tokenSet(fresh, 'rt-2')])
      })

      it('a second 401 after the renewal is an authentication error (exit 3), with no third attempt', async () => {
        nock(SERVER)
          .get(JOB_PATH)
          .reply(401, {detail: 'Token has expired'})
          .post('/api/auth/refresh')
          .reply(200, loginAnswer(tokenExpiringIn(600), 'rt-2'))
          .get(JOB_PATH)
          .reply(401, {detail: 'User not found'})
        const error = await rejection(client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(600), 'rt-1')).store}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.status).to.equal(401)
        expect(error.message).to.equal('User not found')
        expect(error.hint).to.match(/cidx login/)
      })

      it('a refused refresh (replay) falls back to logging in with the password', async () => {
        const fromLogin = tokenExpiringIn(600, {jti: 'login'})
        const {saved, store} = memoryStore(tokenSet(tokenExpiringIn(-10), 'rt-spent'))
        nock(SERVER)
          .post('/api/auth/refresh', {refresh_token: 'rt-spent'})
          .reply(401, {detail: 'Token replay attack detected'})
          .post('/auth/login', {username: 'alice', password: PASSWORD})
          .reply(200, loginAnswer(fromLogin, 'rt-new'))
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fromLogin}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        await client({tokenStore: store, username: 'alice', password: PASSWORD}).getJob(JOB_ID)
        expect(saved).to.deep.equal([tokenSet(fromLogin, 'rt-new')])
      })

      it('a refused refresh with no password to fall back on is an authentication error that says why', async () => {
        nock(SERVER).post('/api/auth/refresh').reply(401, {detail: 'Token replay attack detected'})
        const error = await rejection(client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(5), 'rt-spent')).store}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.equal('Your session has expired: Token replay attack detected')
      })

      it('a refresh answered with a 422 envelope is refused like a 401', async () => {
        nock(SERVER)
          .post('/api/auth/refresh')
          .reply(422, {error: 'validation_error', message: 'Request validation failed.', detail: [{loc: ['body', 'refresh_token'], msg: 'Field required'}]})
        const error = await rejection(client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(5), 'rt')).store}).getJob(JOB_ID))
        expect(error.message).to.equal('Your session has expired: Refresh refused: refresh_token: Field required')
      })

      it('with nothing to renew with, says so and exits 3', async () => {
        const error = await rejection(client({tokenStore: memoryStore(null).store}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.equal('Your session has expired, or you are not logged in')
        expect(error.hint).to.match(/Run `cidx login`/)
      })

      it('a refresh answer without an access token is a protocol error', async () => {
        nock(SERVER).post('/api/auth/refresh').reply(200, {token_type: 'bearer'})
        const error = await rejection(client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(5), 'rt')).store}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(ProtocolError)
        expect(error.message).to.match(/refresh answer has no access token/)
      })

      describe('a store shared with other cidx processes (exclusive renewal)', () => {
        /** A memory store whose `exclusive` lets another "process" store its renewal first. */
        function sharedStore(initial: TokenSet, renewedByOther?: TokenSet) {
          const memory = memoryStore(initial)
          let locked = 0
          const store: TokenStore = {
            ...memory.store,
            async exclusive(renewal) {
              locked++
              if (renewedByOther) await memory.store.save(renewedByOther)
              return renewal()
            },
          }
          return {...memory, locked: () => locked, store}
        }

        it('takes the tokens another process stored while it waited, and refreshes nothing', async () => {
          const other = tokenExpiringIn(600, {jti: 'other'})
          const shared = sharedStore(tokenSet(tokenExpiringIn(-60), 'rt-1'), tokenSet(other, 'rt-2'))
          nock(SERVER).get(JOB_PATH).matchHeader('authorization', `Bearer ${other}`).reply(200, wireJob({job_id: JOB_ID}))
          expect((await client({tokenStore: shared.store}).getJob(JOB_ID)).job_id).to.equal(JOB_ID)
          expect(shared.locked()).to.equal(1)
        })

        it('refreshes under the lock when nobody renewed, with the newest refresh token stored', async () => {
          const fresh = tokenExpiringIn(600)
          // Another process rotated the refresh token but left no usable access token.
          const shared = sharedStore(tokenSet(tokenExpiringIn(-60), 'rt-1'), tokenSet(tokenExpiringIn(-60), 'rt-rotated'))
          nock(SERVER)
            .post('/api/auth/refresh', {refresh_token: 'rt-rotated'})
            .reply(200, loginAnswer(fresh, 'rt-3'))
            .get(JOB_PATH)
            .matchHeader('authorization', `Bearer ${fresh}`)
            .reply(200, wireJob({job_id: JOB_ID}))
          await client({tokenStore: shared.store}).getJob(JOB_ID)
          expect(shared.saved.at(-1)).to.deep.equal(tokenSet(fresh, 'rt-3'))
        })

        it('does not take back the token the server just rejected', async () => {
          const rejected = tokenExpiringIn(600)
          const fresh = tokenExpiringIn(600, {jti: 'fresh'})
          const shared = sharedStore(tokenSet(rejected, 'rt-1'))
          nock(SERVER)
            .get(JOB_PATH)
            .matchHeader('authorization', `Bearer ${rejected}`)
            .reply(401, {detail: 'Token has been revoked'})
            .post('/api/auth/refresh', {refresh_token: 'rt-1'})
            .reply(200, loginAnswer(fresh, 'rt-2'))
            .get(JOB_PATH)
            .matchHeader('authorization', `Bearer ${fresh}`)
            .reply(200, wireJob({job_id: JOB_ID}))
          await client({tokenStore: shared.store}).getJob(JOB_ID)
          expect(shared.locked()).to.equal(1)
        })
      })

      it('concurrent requests with an expired token trigger only one refresh', async () => {
        const fresh = tokenExpiringIn(600)
        nock(SERVER)
          .post('/api/auth/refresh')
          .once()
          .reply(200, loginAnswer(fresh, 'rt-2'))
          .get(JOB_PATH)
          .times(4)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-60), 'rt-1')).store})
        const results = await Promise.all([1, 2, 3, 4].map(() => jobs.getJob(JOB_ID)))
        expect(results.map((job) => job.job_id)).to.deep.equal([JOB_ID, JOB_ID, JOB_ID, JOB_ID])
      })

      it('concurrent 401s on the same token trigger only one refresh, and each request is repeated once', async () => {
        const old = tokenExpiringIn(600)
        const fresh = tokenExpiringIn(600, {jti: 'fresh'})
        nock(SERVER)
          .get(JOB_PATH)
          .times(3)
          .matchHeader('authorization', `Bearer ${old}`)
          .delay(20)
          .reply(401, {detail: 'Token has been revoked'})
          .post('/api/auth/refresh')
          .once()
          .reply(200, loginAnswer(fresh, 'rt-2'))
          .get(JOB_PATH)
          .times(3)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({tokenStore: memoryStore(tokenSet(old, 'rt-1')).store})
        await Promise.all([1, 2, 3].map(() => jobs.getJob(JOB_ID)))
      })

      it('concurrent first requests wait for the cached session instead of renewing without it', async () => {
        const cached = tokenExpiringIn(600)
        nock(SERVER)
          .get(JOB_PATH)
          .times(3)
          .matchHeader('authorization', `Bearer ${cached}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const {saved, store} = memoryStore(tokenSet(cached, 'rt-1'), {loadDelayMs: 20})
        const jobs = client({tokenStore: store})
        await Promise.all([1, 2, 3].map(() => jobs.getJob(JOB_ID)))
        expect(saved).to.deep.equal([])
      })

      it('a static token (CIDX_TOKEN) is sent as is and never renewed', async () => {
        const apiKey = 'cidx_sk_0123456789abcdef0123456789abcdef'
        nock(SERVER).get(JOB_PATH).matchHeader('authorization', `Bearer ${apiKey}`).reply(401, {detail: 'Invalid API key'})
        // A password is present too: it must not be used to replace the key the user chose.
        const error = await rejection(client({staticToken: apiKey, username: 'alice', password: PASSWORD}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.equal('Invalid API key')
      })

      it('reuses a cached token that is valid for more than 30 s', async () => {
        const cached = tokenExpiringIn(45)
        nock(SERVER).get(JOB_PATH).times(2).matchHeader('authorization', `Bearer ${cached}`).reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({tokenStore: memoryStore(tokenSet(cached, 'rt-1')).store, username: 'alice', password: PASSWORD})
        await jobs.getJob(JOB_ID)
        await jobs.getJob(JOB_ID)
      })

      it('renews a cached token before it is sent when it expires within 30 s', async () => {
        const dying = tokenExpiringIn(25)
        const fresh = tokenExpiringIn(600, {jti: 'fresh'})
        nock(SERVER)
          .post('/api/auth/refresh', {refresh_token: 'rt-1'})
          .reply(200, loginAnswer(fresh, 'rt-2'))
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        await client({tokenStore: memoryStore(tokenSet(dying, 'rt-1')).store}).getJob(JOB_ID)
      })

      it('logs in once with a password and reuses the token for later requests', async () => {
        const token = tokenExpiringIn(600)
        nock(SERVER)
          .post('/auth/login', {username: 'alice', password: PASSWORD})
          .once()
          .reply(200, loginAnswer(token))
          .get(JOB_PATH)
          .times(2)
          .matchHeader('authorization', `Bearer ${token}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({username: 'alice', password: PASSWORD})
        await jobs.getJob(JOB_ID)
        await jobs.getJob(JOB_ID)
      })

      it('a token store that fails to load or save does not stop the client', async () => {
        const token = tokenExpiringIn(600)
        const lines: string[] = []
        nock(SERVER).post('/auth/login').reply(200, loginAnswer(token)).get(JOB_PATH).reply(200, wireJob({job_id: JOB_ID}))
        const broken: TokenStore = {load: () => Promise.reject(new Error('EACCES')), save: () => Promise.reject(new Error('disk full'))}
        await client({tokenStore: broken, username: 'alice', password: PASSWORD}, {debug: (line) => lines.push(line)}).getJob(JOB_ID)
        expect(lines.some((line) => line.includes('could not cache the access token: disk full'))).to.equal(true)
      })

      it('whoami reads the user and role from the token; an API key has no role', async () => {
        nock(SERVER).post('/auth/login').reply(200, loginAnswer(tokenExpiringIn(600, {username: 'bob', role: 'admin'})))
        expect(await client({username: 'bob', password: PASSWORD}).whoami()).to.deep.equal({username: 'bob', role: 'admin'})
        expect(await client({staticToken: 'cidx_sk_0123456789abcdef0123456789abcdef', username: 'ci'}).whoami()).to.deep.equal({username: 'ci', role: 'unknown'})
        expect(await client({staticToken: 'cidx_sk_0123456789abcdef0123456789abcdef'}).whoami()).to.deep.equal({username: 'unknown', role: 'unknown'})
      })
    })

    describe('login', () => {
      it('returns the tokens with their expiry and the user from the answer', async () => {
        const token = tokenExpiringIn(600)
        nock(SERVER).post('/auth/login', {username: 'alice', password: PASSWORD}).reply(200, loginAnswer(token, 'rt-1', 'admin'))
        const result = await new CidxClient({env: {}, credentials: {serverUrl: `${SERVER}/`, source: 'flags'}}).login('alice', PASSWORD)
        expect(result).to.deep.equal({tokens: tokenSet(token, 'rt-1'), user: {username: 'alice', role: 'admin'}})
      })

      it('reads the user from the token claims when the answer has no user', async () => {
        const token = fakeJwt({username: 'carol', role: 'power_user'})
        nock(SERVER).post('/auth/login').reply(200, {access_token: token})
        const result = await client().login('carol', PASSWORD)
        expect(result).to.deep.equal({tokens: {accessToken: token, accessTokenExpiresAt: null}, user: {username: 'carol', role: 'power_user'}})
      })

      it('follows an MFA challenge with the one-time code', async () => {
        const token = tokenExpiringIn(600)
        nock(SERVER)
          .post('/auth/login')
          .reply(200, {mfa_required: true, mfa_token: 'mfa-123'})
          .post('/auth/mfa/verify', {mfa_token: 'mfa-123', totp_code: '654321'})
          .reply(200, loginAnswer(token, 'rt-1'))
        const result = await client().login('alice', PASSWORD, {totp: '654321'})
        expect(result.tokens.accessToken).to.equal(token)
      })

      it('asks for the one-time code only when the server wants one', async () => {
        let asked = 0
        const totp = async () => {
          asked++
          return '111222'
        }

        nock(SERVER)
          .post('/auth/login')
          .reply(200, {mfa_required: true, mfa_token: 'mfa-9'})
          .post('/auth/mfa/verify', {mfa_token: 'mfa-9', totp_code: '111222'})
          .reply(401, {detail: 'Invalid TOTP code'})
        const error = await rejection(client().login('alice', PASSWORD, {totp}))
        expect(asked).to.equal(1)
        expect(error).to.be.instanceOf(AuthError)
        expect(error.message).to.equal('Invalid TOTP code')
        expect(error.hint).to.match(/one-time code/)
      })

      it('an MFA challenge without a code is an authentication error', async () => {
        nock(SERVER).post('/auth/login').reply(200, {mfa_required: true, mfa_token: 'mfa-123'})
        const error = await rejection(client().login('alice', PASSWORD))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.match(/one-time code/)
      })

      const refusals: Array<[number, unknown, ErrorClass, number, RegExp]> = [
        [401, {detail: 'Invalid credentials'}, AuthError, 3, /^Invalid credentials$/],
        [403, {detail: 'password_expired: change it in the Web UI'}, AuthError, 3, /password_expired/],
        [422, {error: 'validation_error', message: 'Request validation failed.', details: {field_errors: [{field: 'body.password', message: 'String should have at least 1 character'}]}}, UsageError, 2, /body\.password: String should/],
        [429, {detail: 'account_locked: Too many failed attempts. Try again in 60 seconds.'}, ServerError, 1, /account_locked.*\(retry in 60 s\)/],
      ]
      for (const [status, body, type, exitCode, message] of refusals) {
        it(`a login answered ${status} is a ${type.name} (exit ${exitCode}), not retried`, async () => {
          nock(SERVER).post('/auth/login').once().reply(status, body as nock.Body, {'retry-after': '60'})
          const error = await rejection(client().login('alice', PASSWORD))
          expect(error).to.be.instanceOf(type)
          expect(error.exitCode).to.equal(exitCode)
          expect(error.message).to.match(message)
        })
      }
    })

    describe('retries', () => {
      it('retries a 429 after the Retry-After it names', async () => {
        const times: number[] = []
        nock(SERVER)
          .get(JOB_PATH)
          .reply(429, () => {
            times.push(Date.now())
            return {detail: 'Server at capacity', retry_after_seconds: 1}
          }, {'retry-after': '1'})
          .get(JOB_PATH)
          .reply(200, () => {
            times.push(Date.now())
            return wireJob({job_id: JOB_ID})
          })
        await client({staticToken: 'tok-1234'}).getJob(JOB_ID)
        expect(times).to.have.length(2)
        // Honoured: the retry waited the second the server asked for (a lower bound, not a timing race).
        expect(times[1] - times[0]).to.be.at.least(950)
      })

      it('does not wait longer than allowed: a Retry-After past the limit is an error that says when to retry', async () => {
        nock(SERVER).get(JOB_PATH).once().reply(429, {detail: 'Server at capacity', retry_after_seconds: 120}, {'retry-after': '120'})
        const error = await rejection(client({staticToken: 'tok-1234'}, {retry: {baseDelayMs: 1, maxRetryAfterMs: 5000}}).getJob(JOB_ID))
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
        expect(error.message).to.equal(`The server at ${SERVER} answered 502 with an HTML page instead of JSON (a proxy or gateway problem?)`)
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
        await rejection(client({staticToken: 'tok-1234'}, {debug: (line) => lines.push(line), retry: {baseDelayMs: 1, limit: 4}}).getJob(JOB_ID))
        expect(lines.filter((line) => line.startsWith('retry '))).to.have.length(4)
      })

      it('caps the backoff at maxDelayMs (a 60 s step would outlast the test)', async () => {
        nock(SERVER).get(JOB_PATH).reply(503, '').get(JOB_PATH).reply(200, wireJob({job_id: JOB_ID}))
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
          nock(SERVER).get(JOB_PATH).once().reply(status, {detail: `status ${status}`}, {'retry-after': '0'})
          const error = await rejection(client({staticToken: 'tok-1234'}).getJob(JOB_ID))
          expect(error.status).to.equal(status)
        })
      }

      it('does not repeat a DELETE after a 5xx or a reset connection (the server may have acted)', async () => {
        nock(SERVER).delete(JOB_PATH).once().reply(503, {error: 'service_unavailable', message: 'Storage is busy', retry_after: 0}, {'retry-after': '0'})
        const error = await rejection(client({staticToken: 'tok-1234'}).cancelJob(JOB_ID))
        expect(error).to.be.instanceOf(ServerError)
        expect(error.status).to.equal(503)
        nock(SERVER).delete(JOB_PATH).once().replyWithError(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
        const reset = await rejection(client({staticToken: 'tok-1234'}).cancelJob(JOB_ID))
        expect(reset).to.be.instanceOf(NetworkError)
        expect(reset.message).to.equal(`Cannot reach ${SERVER}: the connection was reset`)
      })
    })

    describe('bodies that break the contract', () => {
      const cases: Array<[string, string, Record<string, string>, RegExp]> = [
        ['malformed JSON', '{"job_id": "a", oops}', {'content-type': 'application/json'}, /sent a malformed JSON body \(status 200\)/],
        ['a truncated body', '{"jobs": [{"job_id": "a", "created_at": "2026-11-2', {'content-type': 'application/json'}, /malformed JSON body/],
        ['an HTML page', '<!doctype html><html><body>Login portal</body></html>', {'content-type': 'text/html'}, /answered with an HTML page, not JSON \(status 200\)/],
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

      const listings: Array<[string, unknown, RegExp]> = [
        ['"jobs" that is not a list', {jobs: {a: 1}, total: 1}, /without a "jobs" list/],
        ['a list instead of an object', [wireJob()], /without a "jobs" list/],
        ['an empty body', '', /without a "jobs" list/],
        ['a job without created_at', {jobs: [{job_id: 'x', status: 'running'}]}, /job x without created_at/],
        ['a job_id that is an object', {jobs: [{job_id: {}, created_at: '2026-11-20T08:03:00'}]}, /"job_id" is not text/],
      ]
      for (const [what, body, message] of listings) {
        it(`a listing with ${what} is a protocol error`, async () => {
          nock(SERVER).get('/api/jobs').query(true).reply(200, body as nock.Body)
          const error = await rejection(client({staticToken: 'tok-1234'}).listPage({}))
          expect(error).to.be.instanceOf(ProtocolError)
          expect(error.message).to.match(message)
        })
      }

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

    describe('statuses to typed errors and exit codes', () => {
      const cases: Array<['GET' | 'DELETE', number, unknown, ErrorClass, number, string]> = [
        ['DELETE', 400, {detail: 'Cannot cancel job in completed status'}, ConflictError, 6, 'Cannot cancel job in completed status'],
        ['DELETE', 403, {detail: 'Job not found or not authorized'}, ForbiddenError, 4, 'Job not found or not authorized'],
        ['GET', 403, {detail: 'Non-SSO accounts are restricted to Web UI access only'}, ForbiddenError, 4, 'Non-SSO accounts are restricted to Web UI access only'],
        ['GET', 404, {detail: `Job not found: ${JOB_ID}`}, NotFoundError, 4, `Job not found: ${JOB_ID}`],
        ['GET', 400, {detail: 'Bad request'}, UsageError, 2, 'Bad request'],
        ['DELETE', 409, {detail: "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete."}, ConflictError, 6, "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete."],
        ['DELETE', 500, {detail: "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete."}, ConflictError, 6, "A 'sync_repository' job is already running for repository 'backend' (job_id: 1). Please wait for it to complete."],
        ['DELETE', 500, {error: 'internal_server_error', message: 'An internal server error occurred.', correlation_id: 'c-1'}, ServerError, 1, 'The server failed: An internal server error occurred. (HTTP 500)'],
      ]
      for (const [method, status, body, type, exitCode, message] of cases) {
        it(`${method} answered ${status} → ${type.name}, exit ${exitCode}`, async () => {
          const jobs = client({staticToken: 'tok-1234'})
          if (method === 'GET') nock(SERVER).get(JOB_PATH).reply(status, body as nock.Body)
          else nock(SERVER).delete(JOB_PATH).reply(status, body as nock.Body)
          const error = await rejection(method === 'GET' ? jobs.getJob(JOB_ID) : jobs.cancelJob(JOB_ID))
          expect(error).to.be.instanceOf(type)
          expect(error.exitCode).to.equal(exitCode)
          expect(error.status).to.equal(status)
          expect(error.message).to.equal(message)
        })
      }

      it('a cancelled job answers with the server message', async () => {
        nock(SERVER).delete(JOB_PATH).reply(200, {success: true, message: 'Job cancelled successfully'}).delete(JOB_PATH).reply(200, '')
        const jobs = client({staticToken: 'tok-1234'})
        expect(await jobs.cancelJob(JOB_ID)).to.deep.equal({message: 'Job cancelled successfully'})
        expect(await jobs.cancelJob(JOB_ID)).to.deep.equal({message: 'Job cancelled'})
      })

      it('mapStatus maps what a request override does not', () => {
        const context = {html: false, retryAfter: null, server: SERVER}
        expect(mapStatus(401, 'Invalid token', context)).to.be.instanceOf(AuthError)
        expect(mapStatus(422, 'query.limit: bad', context)).to.be.instanceOf(UsageError)
        expect(mapStatus(429, 'Too many', {...context, retryAfter: 3}).message).to.equal('Too many (retry in 3 s)')
        expect(mapStatus(504, 'HTTP 504 Gateway Timeout', context).message).to.equal('The server failed: HTTP 504 Gateway Timeout (HTTP 504)')
        expect(mapStatus(503, 'x', {...context, html: true})).to.be.instanceOf(ServerError)
        expect(mapStatus(401, 'x', {...context, html: true})).to.be.instanceOf(ProtocolError)
      })
    })

    it('sends the filters and paging as query parameters, dropping empty ones', async () => {
      nock(SERVER)
        .get('/api/jobs')
        .query({limit: '50', offset: '0', status: 'pending', operation_type: 'reindex', repository: 'backend', username: 'bob', since: '2026-11-01T00:00:00.000Z'})
        .reply(200, {jobs: [], total: 0, limit: 50, offset: 0})
      const page = await client({staticToken: 'tok-1234'}).listPage({
        statuses: ['queued'],
        types: ['reindex'],
        repository: 'backend',
        user: 'bob',
        since: new Date('2026-11-01T00:00:00Z'),
      })
      expect(page).to.deep.equal({jobs: [], total: 0, limit: 50, offset: 0})
    })

    it('a GET redirected from https to http on the same host goes without its Authorization header', async () => {
      nock('https://cidx.test').get(JOB_PATH).reply(302, '', {location: `http://cidx.test${JOB_PATH}`})
      // The token would cross in clear: with it, this answer does not match (and the request fails).
      nock('http://cidx.test', {badheaders: ['authorization']}).get(JOB_PATH).reply(200, wireJob({job_id: JOB_ID}))
      const job = await new JobsClient({env: {}, credentials: {serverUrl: 'https://cidx.test', source: 'env', staticToken: 'tok-1234'}}).getJob(JOB_ID)
      expect(job.job_id).to.equal(JOB_ID)
    })

    it('writes one redacted debug line per request and retry', async () => {
      const lines: string[] = []
      nock(SERVER).get(JOB_PATH).reply(503, '').get(JOB_PATH).reply(200, wireJob({job_id: JOB_ID}))
      await client({staticToken: 'tok-secret-1234'}, {debug: (line) => lines.push(line)}).getJob(JOB_ID)
      expect(lines).to.have.length(2)
      expect(lines[0]).to.equal(`retry 1 of GET ${SERVER}${JOB_PATH} after 503`)
      expect(lines[1]).to.match(new RegExp(`^GET ${SERVER}${JOB_PATH} → 200 \\(\\d+ ms\\)$`))
    })
  })

  describe('over real sockets', () => {
    const servers: Server[] = []

    async function listen(server: Server): Promise<string> {
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `127.0.0.1:${(server.address() as AddressInfo).port}`
    }

    afterEach(async () => {
      for (const server of servers.splice(0)) {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
      }
    })

    it('connection refused is a network error, exit 5', async () => {
      const address = await listen(createHttpServer())
      const closed = servers.pop() as Server
      await new Promise((resolve) => closed.close(resolve))
      const error = await rejection(new JobsClient({env: {}, credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'}, retry: {baseDelayMs: 1}}).getJob(JOB_ID))
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(`Cannot reach http://${address}: connection refused`)
      expect(error.hint).to.match(/--server/)
    })

    it('a server that does not answer in time is a network error, exit 5, with no retry past the timeout', async () => {
      let requests = 0
      const address = await listen(
        createHttpServer(() => {
          requests++ // and never answer
        }),
      )
      const jobs = new JobsClient({env: {}, credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'}, retry: {baseDelayMs: 1, limit: 1}, timeouts: {responseMs: 150}})
      const error = await rejection(jobs.getJob(JOB_ID))
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(`Timed out talking to http://${address}: no answer within 0.15 s`)
      // The one attempt spent the whole budget: a retry could not have started in time.
      expect(requests).to.equal(1)
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
      const jobs = new JobsClient({env: {}, credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'}, retry: {baseDelayMs: 1}})
      const error = await rejection(jobs.getJob(JOB_ID))
      expect(error).to.be.instanceOf(NetworkError)
      expect(error.exitCode).to.equal(5)
      expect(error.message).to.equal(`The answer from http://${address} was cut off: the connection closed after status 200, before the body was complete`)
      expect(requests).to.equal(3)
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
        return new JobsClient({env: {}, credentials: {serverUrl: `${hostile.url}/${route}`, source: 'env', staticToken: 'tok-1234'}, retry: {baseDelayMs: 1}, ...options})
      }

      it('a body dripped slower than the request timeout is cut off there, saying the answer was still arriving', async () => {
        const started = Date.now()
        const error = await rejection(at('drip', {timeouts: {responseMs: 500}}).listPage({}))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.message).to.equal(`Timed out talking to ${hostile.url}/drip: the answer (HTTP 200) was still arriving after 0.5 s`)
        expect(error.hint).to.match(/CIDX_REQUEST_TIMEOUT .* retries included/)
        expect(Date.now() - started).to.be.below(3000)
      })

      for (const route of ['huge-listing', 'huge-detail']) {
        it(`${route}: 50 MB sent chunked is a protocol error at 8 MiB, the rest not downloaded`, async () => {
          const before = hostile.requests.length
          const error = await rejection(at(route).listPage({}))
          expect(error).to.be.instanceOf(ProtocolError)
          expect(error.exitCode).to.equal(1)
          expect(error.message).to.equal(`The answer from ${hostile.url}/${route} is larger than 8 MiB, the most cidx reads: stopped reading it`)
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
        expect(error.message).to.equal(`Too many redirects: ${hostile.url}/loop${JOB_PATH} → ${hostile.url}/loop-back${JOB_PATH} → ${hostile.url}/loop${JOB_PATH}`)
      })

      it('a redirect to file:// is a network error that names it', async () => {
        const error = await rejection(at('to-file').getJob(JOB_ID))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.message).to.equal(`The server at ${hostile.url}/to-file redirected to file:///etc/passwd, which is not HTTP(S)`)
      })
    })

    describe('redirects of requests with credentials or a body', () => {
      /** A server that records every request (with its body) and answers each with `answer`. */
      async function recorder(answer: (request: RecordedRequest, response: ServerResponse) => void = (_request, response) => response.end('{}')) {
        const requests: RecordedRequest[] = []
        const address = await listen(
          createHttpServer(async (request, response) => {
            const seen = await recorded(request)
            requests.push(seen)
            answer(seen, response)
          }),
        )
        return {url: `http://${address}`, requests}
      }

      it('a login redirected within its origin (307) is followed, body and all', async () => {
        const token = tokenExpiringIn(600)
        const server = await recorder((request, response) => {
          if (request.url === '/auth/login') return void response.writeHead(307, {location: '/v2/auth/login'}).end()
          response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(loginAnswer(token)))
        })
        const result = await new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login('alice', PASSWORD)
        expect(result.tokens.accessToken).to.equal(token)
        expect(server.requests.map((request) => [request.method, request.url, JSON.parse(request.body).password])).to.deep.equal([
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
          const error = await rejection(new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login('alice', PASSWORD))
          expect(elsewhere.requests, 'requests that reached the other origin').to.deep.equal([])
          expect(error).to.be.instanceOf(NetworkError)
          expect(error.exitCode).to.equal(5)
          expect(error.message).to.equal(
            `The server redirected POST ${server.url}/auth/login to ${elsewhere.url}/collect?…, another origin: not followed (a request with credentials or a body stays on its server)`,
          )
          for (const secret of ['hunter22', 's3cr3t-value', PASSWORD]) expect(JSON.stringify(error.toJSON())).not.to.include(secret)
        })
      }

      it('a login redirected to the same host on another scheme is refused too', async () => {
        const server = await recorder((_request, response) => {
          response.writeHead(307, {location: `https://${new URL(server.url).host}/auth/login`}).end()
        })
        const error = await rejection(new CidxClient({env: {}, credentials: {serverUrl: server.url, source: 'flags'}}).login('alice', PASSWORD))
        expect(error.message).to.match(/^The server redirected POST http:\/\/127\.0\.0\.1:\d+\/auth\/login to https:\/\/127\.0\.0\.1:\d+\/auth\/login, another origin/)
        expect(server.requests).to.have.length(1)
      })

      it('a token refresh and a cancel redirected to another origin are refused', async () => {
        const elsewhere = await recorder()
        const server = await recorder((_request, response) => void response.writeHead(307, {location: `${elsewhere.url}/x`}).end())
        const store = memoryStore(tokenSet(tokenExpiringIn(-60), 'rt-secret-1')).store
        const refresh = await rejection(new JobsClient({env: {}, credentials: {serverUrl: server.url, source: 'login', tokenStore: store}}).getJob(JOB_ID))
        expect(refresh.message).to.match(/^The server redirected POST .*\/api\/auth\/refresh to .*\/x, another origin/)
        const cancel = await rejection(new JobsClient({env: {}, credentials: {serverUrl: server.url, source: 'env', staticToken: 'tok-1234'}}).cancelJob(JOB_ID))
        expect(cancel.message).to.match(new RegExp(`^The server redirected DELETE .*${JOB_PATH} to .*/x, another origin`))
        expect(elsewhere.requests).to.deep.equal([])
      })

      it('too many redirects: the URLs it went through', async () => {
        const server = await recorder((request, response) => {
          const hop = Number(/^\/hop\/(\d+)/.exec(request.url)?.[1])
          response.writeHead(302, {location: request.url.replace(/^\/hop\/\d+/, `/hop/${hop + 1}`)}).end()
        })
        const error = await rejection(new JobsClient({env: {}, credentials: {serverUrl: `${server.url}/hop/0`, source: 'env', staticToken: 'tok-1234'}}).getJob(JOB_ID))
        const hops = [0, 1, 2, 3, 4, 5].map((hop) => `${server.url}/hop/${hop}${JOB_PATH}`)
        expect(error.message).to.equal(`Too many redirects: ${hops.join(' → ')} → …`)
      })

      it('each redirect gets only what is left of the request timeout', async () => {
        const server = await recorder((request, response) => {
          if (request.url.startsWith('/slow-hop')) setTimeout(() => response.writeHead(302, {location: '/silent'}).end(), 1500)
          // /silent never answers
        })
        const started = Date.now()
        const error = await rejection(new JobsClient({env: {}, credentials: {serverUrl: `${server.url}/slow-hop`, source: 'env', staticToken: 'tok-1234'}, timeouts: {responseMs: 2000}}).getJob(JOB_ID))
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
        const error = await rejection(new JobsClient({env: {}, credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'}}).listPage({}))
        expect(error).to.be.instanceOf(ProtocolError)
        expect(error.message).to.equal(`The answer from http://${address} is larger than 8 MiB, the most cidx reads: stopped reading it`)
        expect(requests).to.equal(1)
      })

      it('one just under the cap is read whole', async () => {
        const listing = JSON.stringify({jobs: [wireJob({result: {log: 'x'.repeat(7 * MiB)}})], total: 1, limit: 50, offset: 0})
        const address = await listen(createHttpServer((_request, response) => response.writeHead(200, {'content-type': 'application/json'}).end(listing)))
        const page = await new JobsClient({env: {}, credentials: {serverUrl: `http://${address}`, source: 'env', staticToken: 'tok-1234'}}).listPage({})
        expect(page.jobs).to.have.length(1)
      })
    })

    describe('TLS', () => {
      let dir: string
      let certPath: string
      let tls: {key: Buffer; cert: Buffer}

      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'cidx-tls-'))
        certPath = join(dir, 'cert.pem')
        const keyPath = join(dir, 'key.pem')
        await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', keyPath, '-out', certPath])
        tls = {key: await readFile(keyPath), cert: await readFile(certPath)}
      })
      after(async () => {
        await rm(dir, {recursive: true, force: true})
      })

      async function healthServer(): Promise<string> {
        const server = createHttpsServer(tls, (_request, response) => {
          response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({status: 'healthy', features: ['job_filters']}))
        })
        return `https://${await listen(server as unknown as Server)}`
      }

      it('a self-signed server certificate is a network error, exit 5, that names the problem', async () => {
        const url = await healthServer()
        const error = await rejection(new JobsClient({env: {}, credentials: {serverUrl: url, source: 'env', staticToken: 'tok-1234'}, retry: {baseDelayMs: 1}}).getJob(JOB_ID))
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.exitCode).to.equal(5)
        expect(error.message).to.equal(`TLS error talking to ${url}: the server certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)`)
        expect(error.hint).to.match(/NODE_EXTRA_CA_CERTS/)
      })

      it('the same server works when NODE_EXTRA_CA_CERTS names its certificate', async () => {
        const url = await healthServer()
        const script = [
          "const {JobsClient} = await import('./src/client/jobs-client.ts')",
          'const client = new JobsClient({env: {}, credentials: {serverUrl: process.env.URL, source: "env"}})',
          'console.log(JSON.stringify([...await client.serverFeatures()]))',
        ].join('\n')
        // Under c8 the child's coverage goes elsewhere: merged with ours, its copy of src/ spoils the report.
        const coverage = process.env.NODE_V8_COVERAGE ? {NODE_V8_COVERAGE: join(dir, 'child-coverage')} : {}
        const {stdout} = await run(process.execPath, ['--import', 'tsx', '--conditions=development', '--input-type=module', '-e', script], {
          cwd: ROOT,
          env: {...process.env, ...coverage, NODE_EXTRA_CA_CERTS: certPath, URL: url},
        })
        // serverFeatures() reads /health: the features arrive only over a trusted connection.
        expect(JSON.parse(stdout)).to.deep.equal(['job_filters'])
      })
    })
  })
})
