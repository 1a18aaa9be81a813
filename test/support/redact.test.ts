import {expect} from 'chai'
import nock from 'nock'
import {inspect} from 'node:util'

import {CidxClient} from '../../src/client/cidx-client.js'
import {CliError} from '../../src/errors.js'
import {redact, redactValue} from '../../src/support/redact.js'
import {memoryStore, useNock} from '../helpers/fixtures/client-fixtures.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'
import {rejection} from '../helpers/thrown.js'

const SERVER = 'http://cidx.test:8000'
const PASSWORD = 'correct horse battery staple'
const JWT = fakeJwt({username: 'alice', role: 'admin', exp: 4_102_444_800})
const API_KEY = 'cidx_sk_0123456789abcdef0123456789abcdef'

describe('redact: secrets never reach output', () => {
  describe('redact(text)', () => {
    const cases: Array<[string, string, string[]]> = [
      ['a JWT', `token ${JWT} expired`, ['token [REDACTED] expired']],
      ['an API key', `Invalid API key ${API_KEY}.`, ['Invalid API key [REDACTED].']],
      ['a Bearer value', 'Authorization: Bearer opaque-token-value, next', ['Authorization: Bearer [REDACTED], next']],
      [
        'a password field in JSON',
        '{"username":"alice","password":"hunter22"}',
        ['{"username":"alice","password":"[REDACTED]"}'],
      ],
      ['a JSON password with spaces', `{"password": "${PASSWORD}", "x": 1}`, ['{"password": "[REDACTED]", "x": 1}']],
      ['a JSON password with an escaped quote', String.raw`{"password": "a\"b c"}`, ['{"password": "[REDACTED]"}']],
      ['a refresh_token field', "refresh_token='rt-1234-5678'", ["refresh_token='[REDACTED]'"]],
      ['a form-encoded password', 'username=alice&password=s3cret!&x=1', ['username=alice&password=[REDACTED]&x=1']],
      [
        'a totp code',
        '{"mfa_token":"m-123","totp_code":"123456"}',
        ['{"mfa_token":"[REDACTED]","totp_code":"[REDACTED]"}'],
      ],
      ['a bare value after a colon', 'password:hunter22 rejected', ['password:[REDACTED] rejected']],
      ['nothing secret', 'Job not found: 3f0c9a52', ['Job not found: 3f0c9a52']],
      [
        'nothing in a message that names a secret field',
        'refresh_token: Field required',
        ['refresh_token: Field required'],
      ],
    ]
    for (const [what, input, [expected]] of cases) {
      it(`hides ${what}`, () => {
        expect(redact(input)).to.equal(expected)
      })
    }

    it('hides known secrets wherever they appear, but not very short ones that would garble text', () => {
      expect(redact(`login as alice with ${PASSWORD} failed`, [PASSWORD])).to.equal(
        'login as alice with [REDACTED] failed',
      )
      expect(redact('opaque-refresh-xyz was spent', ['opaque-refresh-xyz', undefined, null, ''])).to.equal(
        '[REDACTED] was spent',
      )
      expect(redact('abc is a word', ['abc'])).to.equal('abc is a word')
    })
  })

  describe('redactValue(value)', () => {
    it('replaces secret-named fields and redacts every string, deeply, without changing the input', () => {
      const input = {
        username: 'alice',
        password: PASSWORD,
        tokens: [{access_token: JWT, Authorization: 'Bearer x', note: `key ${API_KEY}`}],
        count: 3,
        nothing: null,
      }
      const copy = structuredClone(input)
      expect(redactValue(input, ['alice'])).to.deep.equal({
        username: '[REDACTED]',
        password: '[REDACTED]',
        tokens: [{access_token: '[REDACTED]', Authorization: '[REDACTED]', note: 'key [REDACTED]'}],
        count: 3,
        nothing: null,
      })
      expect(input).to.deep.equal(copy)
    })
  })

  describe('end to end: a server that echoes secrets in its error bodies', () => {
    let debugLines: string[]

    useNock()

    beforeEach(() => {
      debugLines = []
    })

    /** The secrets must be absent from the error (message, hint, JSON, full inspection) and every debug line. */
    function expectNoSecret(error: unknown, secrets: string[]): void {
      expect(error).to.be.instanceOf(CliError)
      const cliError = error as CliError
      const surfaces = [
        cliError.message,
        cliError.hint ?? '',
        JSON.stringify(cliError.toJSON()),
        inspect(cliError, {depth: 8}),
        ...debugLines,
      ]
      expect(debugLines).to.not.be.empty
      for (const surface of surfaces) {
        for (const secret of secrets) expect(surface).to.not.include(secret)
      }
    }

    it('a refused login that echoes the password', async () => {
      nock(SERVER)
        .post('/auth/login', {username: 'alice', password: PASSWORD})
        .reply(
          401,
          {detail: `Invalid credentials for {"username": "alice", "password": "${PASSWORD}"}`},
          {'www-authenticate': 'Bearer'},
        )
      const client = new CidxClient({
        env: {},
        credentials: {serverUrl: SERVER, source: 'env'},
        debug: (line) => debugLines.push(line),
      })
      const error = await rejection(client.login('alice', PASSWORD))
      expect((error as CliError).message).to.match(/^Invalid credentials for/)
      expect((error as CliError).exitCode).to.equal(3)
      expectNoSecret(error, [PASSWORD])
    })

    it('a refused refresh that echoes the refresh token, then a login that echoes the password', async () => {
      const refreshToken = 'rt-opaque-0123456789'
      const expired = fakeJwt({username: 'alice', exp: 1})
      nock(SERVER)
        .post('/api/auth/refresh', {refresh_token: refreshToken})
        .reply(401, {detail: `Token replay attack detected for ${refreshToken}`})
        .post('/auth/login')
        .reply(500, {
          error: 'internal_server_error',
          message: `boom while checking password=${PASSWORD} and ${refreshToken}`,
        })
      const client = new CidxClient({
        env: {},
        credentials: {
          serverUrl: SERVER,
          source: 'env',
          username: 'alice',
          password: PASSWORD,
          tokenStore: memoryStore({accessToken: expired, accessTokenExpiresAt: 1000, refreshToken}).store,
        },
        debug: (line) => debugLines.push(line),
      })
      const error = await rejection(client.whoami())
      expect((error as CliError).status).to.equal(500)
      expectNoSecret(error, [PASSWORD, refreshToken, expired])
      expect(debugLines.join('\n')).to.include('refresh refused')
    })

    it('a refused MFA step that echoes the MFA token and the code', async () => {
      const mfaToken = 'mfa-opaque-7f3a9c'
      nock(SERVER)
        .post('/auth/login')
        .reply(200, {mfa_required: true, mfa_token: mfaToken})
        .post('/auth/mfa/verify', {mfa_token: mfaToken, totp_code: '493817'})
        .reply(401, {detail: `Invalid TOTP code 493817 for ${mfaToken}`})
      const client = new CidxClient({
        env: {},
        credentials: {serverUrl: SERVER, source: 'env'},
        debug: (line) => debugLines.push(line),
      })
      const error = await rejection(client.login('alice', PASSWORD, {totp: '493817'}))
      expect((error as CliError).message).to.equal('Invalid TOTP code [REDACTED] for [REDACTED]')
      expectNoSecret(error, [PASSWORD, mfaToken, '493817'])
    })

    it('a rejected API call that echoes the static token, an API key', async () => {
      nock(SERVER)
        .get('/api/jobs/abc')
        .reply(401, {detail: `Invalid API key: ${API_KEY}`})
      const client = new CidxClient({
        env: {},
        credentials: {serverUrl: SERVER, source: 'env', staticToken: API_KEY},
        debug: (line) => debugLines.push(line),
      })
      const error = await rejection(
        (client as unknown as {requestJson(method: string, path: string): Promise<unknown>}).requestJson(
          'GET',
          '/api/jobs/abc',
        ),
      )
      expect((error as CliError).message).to.equal('Invalid API key: [REDACTED]')
      expectNoSecret(error, [API_KEY])
    })

    it('a network failure after a login: the token held is not in the error or its cause', async () => {
      const token = fakeJwt({username: 'alice', exp: 4_102_444_800, jti: 'unique-jti-123'})
      nock(SERVER)
        .post('/auth/login')
        .reply(200, {access_token: token, token_type: 'bearer', user: {username: 'alice', role: 'normal_user'}})
        .get('/api/jobs/abc')
        .times(3)
        .replyWithError(Object.assign(new Error(`socket hang up while sending Bearer ${token}`), {code: 'ECONNRESET'}))
      const client = new CidxClient({
        env: {},
        credentials: {serverUrl: SERVER, source: 'env', username: 'alice', password: PASSWORD},
        debug: (line) => debugLines.push(line),
        retry: {baseDelayMs: 1},
      })
      const error = await rejection(
        (client as unknown as {requestJson(method: string, path: string): Promise<unknown>}).requestJson(
          'GET',
          '/api/jobs/abc',
        ),
      )
      expect((error as CliError).exitCode).to.equal(5)
      expectNoSecret(error, [token, PASSWORD])
    })
  })
})
