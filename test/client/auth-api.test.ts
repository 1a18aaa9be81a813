import {expect} from 'chai'
import nock from 'nock'

import {CidxClient} from '../../src/client/cidx-client.js'
import {AuthError, ServerError, UsageError} from '../../src/errors.js'
import {
  client,
  type ErrorClass,
  loginAnswer,
  PASSWORD,
  rejection,
  SERVER,
  tokenExpiringIn,
  tokenSet,
  useNock,
} from '../helpers/fixtures/client-fixtures.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'

describe('AuthApi (through a client, with nock)', () => {
  useNock()

  describe('login', () => {
    it('returns the tokens with their expiry and the user from the answer', async () => {
      const token = tokenExpiringIn(600)
      nock(SERVER)
        .post('/auth/login', {username: 'alice', password: PASSWORD})
        .reply(200, loginAnswer(token, 'rt-1', 'admin'))
      const result = await new CidxClient({env: {}, credentials: {serverUrl: `${SERVER}/`, source: 'flags'}}).login(
        'alice',
        PASSWORD,
      )
      expect(result).to.deep.equal({tokens: tokenSet(token, 'rt-1'), user: {username: 'alice', role: 'admin'}})
    })

    it('a login answered 404 means there is no CIDX server API at that URL (exit 5), not a missing account', async () => {
      nock(SERVER).post('/auth/login').reply(404, {detail: 'Not Found'})
      expect(await rejection(client().login('alice', PASSWORD))).to.include({
        message: `This is not a CIDX server API at ${SERVER}: POST ${SERVER}/auth/login answered 404: Not Found`,
        exitCode: 5,
        status: 404,
      })
    })

    it('reads the user from the token claims when the answer has no user', async () => {
      const token = fakeJwt({username: 'carol', role: 'power_user'})
      nock(SERVER).post('/auth/login').reply(200, {access_token: token})
      const result = await client().login('carol', PASSWORD)
      expect(result).to.deep.equal({
        tokens: {accessToken: token, accessTokenExpiresAt: null},
        user: {username: 'carol', role: 'power_user'},
      })
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
      [
        422,
        {
          error: 'validation_error',
          message: 'Request validation failed.',
          details: {field_errors: [{field: 'body.password', message: 'String should have at least 1 character'}]},
        },
        UsageError,
        2,
        /body\.password: String should/,
      ],
      [
        429,
        {detail: 'account_locked: Too many failed attempts. Try again in 60 seconds.'},
        ServerError,
        1,
        /account_locked.*\(retry in 60 s\)/,
      ],
    ]
    for (const [status, body, type, exitCode, message] of refusals) {
      it(`a login answered ${status} is a ${type.name} (exit ${exitCode}), not retried`, async () => {
        nock(SERVER)
          .post('/auth/login')
          .once()
          .reply(status, body as nock.Body, {'retry-after': '60'})
        const error = await rejection(client().login('alice', PASSWORD))
        expect(error).to.be.instanceOf(type)
        expect(error.exitCode).to.equal(exitCode)
        expect(error.message).to.match(message)
      })
    }
  })
})
