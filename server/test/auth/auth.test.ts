import {expect} from 'chai'
import {statSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {Api, type ValidationErrorBody} from '../support/api.js'
import {nodeRequest} from '../support/raw-http.js'
import {
  ADMIN_PASSWORD,
  startTestServer,
  type TestServer,
  USER_PASSWORD,
  usersWithTokens,
} from '../support/server-fixture.js'

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('server: authentication', () => {
  let test: TestServer
  let api: Api

  before(async () => {
    test = await startTestServer({refreshTokenTtlSeconds: 2, loginRateLimit: {max: 3, windowMs: 60_000}})
    api = test.api
    await usersWithTokens(test, 'alice')
  })

  after(() => test.stop())

  describe('POST /auth/login', () => {
    it('answers tokens, the user and an HS256 JWT with float exp/iat, 10 minutes apart', async () => {
      const response = await api.post('/auth/login', {username: 'alice', password: USER_PASSWORD})
      expect(response.status).to.equal(200)
      expect(response.body).to.include({token_type: 'bearer', refresh_token_expires_in: 2})
      expect(response.body.user).to.include({username: 'alice', role: 'normal_user'})
      expect(response.body.refresh_token).to.be.a('string').with.length.above(20)
      const header = JSON.parse(Buffer.from(response.body.access_token.split('.')[0], 'base64url').toString('utf8'))
      expect(header.alg).to.equal('HS256')
      const claims = claimsOf(response.body.access_token)
      expect(claims).to.include({username: 'alice', role: 'normal_user'})
      expect(claims.jti).to.be.a('string')
      expect(Number.isInteger(claims.exp)).to.equal(false)
      expect((claims.exp as number) - (claims.iat as number)).to.be.closeTo(600, 0.001)
    })

    it('answers 401 "Invalid credentials" with WWW-Authenticate for a wrong password and for an unknown user alike', async () => {
      for (const body of [
        {username: 'alice', password: 'wrong'},
        {username: 'nobody', password: 'wrong'},
      ]) {
        const response = await api.post('/auth/login', body)
        expect(response.status).to.equal(401)
        expect(response.body).to.deep.equal({detail: 'Invalid credentials'})
        expect(response.headers.get('www-authenticate')).to.equal('Bearer')
      }

      await api.login('alice', USER_PASSWORD) // a success clears the failure count
    })

    it('answers 422 in the envelope for a missing or blank field', async () => {
      const response = await api.post<ValidationErrorBody>('/auth/login', {username: '   '})
      expect(response.status).to.equal(422)
      expect(response.body.error).to.equal('validation_error')
      const locations = response.body.detail.map((item) => item.loc.join('.'))
      expect(locations).to.have.members(['body.username', 'body.password'])
      expect(response.body.details.error_count).to.equal(2)
    })

    it('answers 429 with Retry-After once a client has failed too often, even with the right password', async () => {
      const limited = await startTestServer({loginRateLimit: {max: 2, windowMs: 60_000}})
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          expect((await limited.api.post('/auth/login', {username: 'admin', password: 'nope'})).status).to.equal(401)
        }

        const response = await limited.api.post('/auth/login', {username: 'admin', password: ADMIN_PASSWORD})
        expect(response.status).to.equal(429)
        expect(response.body).to.deep.equal({detail: 'Too many login attempts. Please try again later.'})
        expect(Number(response.headers.get('retry-after'))).to.be.within(1, 60)
      } finally {
        await limited.stop()
      }
    })
  })

  describe('POST /api/auth/refresh', () => {
    it('rotates: the new token works once, a spent token is a replay that revokes the family', async () => {
      const login = await api.post('/auth/login', {username: 'alice', password: USER_PASSWORD})
      const first = login.body.refresh_token
      const rotated = await api.post('/api/auth/refresh', {refresh_token: first})
      expect(rotated.status).to.equal(200)
      expect(rotated.body).to.include({token_type: 'bearer', access_token_expires_in: 600, refresh_token_expires_in: 2})
      expect(rotated.body.user.username).to.equal('alice')
      expect(rotated.body.refresh_token).to.not.equal(first)
      expect((await api.get('/api/jobs', rotated.body.access_token)).status).to.equal(200)

      const replay = await api.post('/api/auth/refresh', {refresh_token: first})
      expect(replay.status).to.equal(401)
      expect(replay.body).to.deep.equal({detail: 'Token replay attack detected'})
      const afterReplay = await api.post('/api/auth/refresh', {refresh_token: rotated.body.refresh_token})
      expect(afterReplay.body).to.deep.equal({detail: 'Refresh token revoked due to replay_attack'})
    })

    it('revokes the access tokens of a family revoked for replay, and only those', async () => {
      const login = await api.post('/auth/login', {username: 'alice', password: USER_PASSWORD})
      const rotated = await api.post('/api/auth/refresh', {refresh_token: login.body.refresh_token})
      const otherSession = await api.login('alice', USER_PASSWORD)
      expect(claimsOf(rotated.body.access_token).sid).to.equal(claimsOf(login.body.access_token).sid)
      expect((await api.get('/api/jobs', login.body.access_token)).status).to.equal(200)

      expect((await api.post('/api/auth/refresh', {refresh_token: login.body.refresh_token})).body).to.deep.equal({
        detail: 'Token replay attack detected',
      })
      for (const token of [login.body.access_token, rotated.body.access_token]) {
        const response = await api.get('/api/jobs', token)
        expect(response.status).to.equal(401)
        expect(response.body).to.deep.equal({detail: 'Token has been revoked'})
      }

      expect((await api.get('/api/jobs', otherSession)).status).to.equal(200)
    })

    it('answers "Invalid refresh token" and "Refresh token has expired"', async () => {
      expect((await api.post('/api/auth/refresh', {refresh_token: 'made-up'})).body).to.deep.equal({
        detail: 'Invalid refresh token',
      })
      const login = await api.post('/auth/login', {username: 'alice', password: USER_PASSWORD})
      await delay(2100)
      const expired = await api.post('/api/auth/refresh', {refresh_token: login.body.refresh_token})
      expect(expired.status).to.equal(401)
      expect(expired.body).to.deep.equal({detail: 'Refresh token has expired'})
    })

    it('rotates on the legacy /auth/refresh path as well (the real server spends without returning one)', async () => {
      const login = await api.post('/auth/login', {username: 'alice', password: USER_PASSWORD})
      const response = await api.post('/auth/refresh', {refresh_token: login.body.refresh_token})
      expect(response.status).to.equal(200)
      expect(response.body.refresh_token).to.be.a('string').and.not.equal(login.body.refresh_token)
    })
  })

  describe('API keys', () => {
    it('creates a cidx_sk_ key (201) that works as a Bearer token', async () => {
      const token = await api.login('alice', USER_PASSWORD)
      const created = await api.post('/api/keys', {name: 'ci'}, token)
      expect(created.status).to.equal(201)
      expect(created.body.api_key).to.match(/^cidx_sk_[0-9a-f]{32}$/)
      expect(created.body).to.include({name: 'ci'})
      expect(created.body.key_id).to.be.a('string')
      const listing = await api.get('/api/jobs', created.body.api_key)
      expect(listing.status).to.equal(200)
    })

    it('answers 401 "Invalid API key" for a key it never issued', async () => {
      const response = await api.get('/api/jobs', 'cidx_sk_' + '0'.repeat(32))
      expect(response.status).to.equal(401)
      expect(response.body).to.deep.equal({detail: 'Invalid API key'})
    })
  })

  describe('401 details of /api calls', () => {
    it('says "Missing authentication credentials" for list and cancel, "Authentication required" for one job', async () => {
      expect((await api.get('/api/jobs')).body).to.deep.equal({detail: 'Missing authentication credentials'})
      expect((await api.delete('/api/jobs/some-id')).body).to.deep.equal({detail: 'Missing authentication credentials'})
      const single = await api.get('/api/jobs/some-id')
      expect(single.status).to.equal(401)
      expect(single.body).to.deep.equal({detail: 'Authentication required'})
      expect(single.headers.get('www-authenticate')).to.equal('Bearer')
    })

    it('says "Invalid token" for garbage and for a token signed with another secret', async () => {
      expect((await api.get('/api/jobs', 'not-a-jwt')).body).to.deep.equal({detail: 'Invalid token'})
      const other = await startTestServer()
      try {
        const foreign = await other.server.testing.createAccessToken('admin')
        expect((await api.get('/api/jobs', foreign)).body).to.deep.equal({detail: 'Invalid token'})
      } finally {
        await other.stop()
      }
    })

    it('says "Invalid token" for a token without exp (it would never expire) or without jti (it could not be revoked)', async () => {
      for (const claims of [{exp: undefined}, {jti: undefined}, {exp: 'tomorrow'}, {jti: 42}]) {
        const token = await test.server.testing.createAccessToken('alice', {claims})
        const response = await api.get('/api/jobs', token)
        expect(response.status, JSON.stringify(claims)).to.equal(401)
        expect(response.body).to.deep.equal({detail: 'Invalid token'})
      }
    })

    it('says "Invalid token: missing username", "Token has expired", "Token has been revoked", "User not found"', async () => {
      const {testing} = test.server
      const noUsername = await testing.createAccessToken('alice', {claims: {username: undefined}})
      expect((await api.get('/api/jobs', noUsername)).body).to.deep.equal({detail: 'Invalid token: missing username'})
      const expired = await testing.createAccessToken('alice', {ttlSeconds: -5})
      expect((await api.get('/api/jobs', expired)).body).to.deep.equal({detail: 'Token has expired'})
      const revoked = await testing.createAccessToken('alice')
      await testing.revokeAccessToken(revoked)
      expect((await api.get('/api/jobs', revoked)).body).to.deep.equal({detail: 'Token has been revoked'})
      const ghost = await testing.createAccessToken('ghost')
      const response = await api.get('/api/jobs', ghost)
      expect(response.status).to.equal(401)
      expect(response.body).to.deep.equal({detail: 'User not found'})
    })
  })

  describe('failed logins, counted per user name and address', () => {
    let limited: TestServer

    function loginFrom(address: string, username: string, password: string) {
      return nodeRequest(limited.server.url, '/auth/login', {
        method: 'POST',
        body: {username, password},
        localAddress: address,
      })
    }

    beforeEach(async () => {
      limited = await startTestServer({loginRateLimit: {max: 3, windowMs: 60_000}})
      await limited.server.testing.createUser('bob', USER_PASSWORD, 'normal_user')
    })

    afterEach(() => limited.stop())

    it('turns a name away from the address that failed it, not from another address, and not another name', async () => {
      for (let attempt = 0; attempt < 3; attempt++)
        expect((await loginFrom('127.0.0.1', 'admin', 'guess')).status).to.equal(401)
      const locked = await loginFrom('127.0.0.1', 'admin', ADMIN_PASSWORD)
      expect(locked.status).to.equal(429)
      expect(locked.body).to.deep.equal({detail: 'Too many login attempts. Please try again later.'})
      expect(Number(locked.headers['retry-after'])).to.be.within(1, 60)
      expect((await loginFrom('127.0.0.2', 'admin', ADMIN_PASSWORD)).status, 'the admin from another address').to.equal(
        200,
      )
      expect(
        (await loginFrom('127.0.0.1', 'bob', USER_PASSWORD)).status,
        'another user from the same address',
      ).to.equal(200)
    })

    it('counts guesses sent in parallel before checking them: only the limit gets through', async () => {
      const guesses = await Promise.all(Array.from({length: 10}, () => loginFrom('127.0.0.1', 'admin', 'guess')))
      expect(guesses.map((response) => response.status).sort()).to.deep.equal([
        ...Array.from({length: 3}).fill(401),
        ...Array.from({length: 7}).fill(429),
      ])
    })

    it('turns an address away for every name once it failed ten times the limit across names (a spray)', async () => {
      const spray = await Promise.all(Array.from({length: 30}, (_, n) => loginFrom('127.0.0.3', `user-${n}`, 'guess')))
      expect(spray.map((response) => response.status)).to.deep.equal(Array.from({length: 30}).fill(401))
      expect((await loginFrom('127.0.0.3', 'bob', USER_PASSWORD)).status).to.equal(429)
      expect((await loginFrom('127.0.0.1', 'bob', USER_PASSWORD)).status).to.equal(200)
    })
  })

  describe('POST /api/admin/users', () => {
    it('lets an admin add a user (201) who can then log in', async () => {
      const response = await api.post(
        '/api/admin/users',
        {username: 'carol', password: 'carol-password', role: 'power_user'},
        test.adminToken,
      )
      expect(response.status).to.equal(201)
      expect(response.body).to.include({username: 'carol', role: 'power_user'})
      const login = await api.post('/auth/login', {username: 'carol', password: 'carol-password'})
      expect(login.body.user.role).to.equal('power_user')
    })

    it('answers 409 for a taken name, 422 for a bad role or name, 403 "Admin access required" for others', async () => {
      const duplicate = await api.post(
        '/api/admin/users',
        {username: 'alice', password: 'another-password', role: 'normal_user'},
        test.adminToken,
      )
      expect(duplicate.status).to.equal(409)
      expect(duplicate.body).to.deep.equal({detail: "User 'alice' already exists"})
      const invalid = await api.post<ValidationErrorBody>(
        '/api/admin/users',
        {username: '../evil', password: 'long-enough', role: 'emperor'},
        test.adminToken,
      )
      expect(invalid.status).to.equal(422)
      expect(invalid.body.detail.map((item: {type: string}) => item.type)).to.have.members([
        'string_pattern_mismatch',
        'enum',
      ])
      const alice = await api.login('alice', USER_PASSWORD)
      const forbidden = await api.post(
        '/api/admin/users',
        {username: 'dave', password: 'long-enough', role: 'normal_user'},
        alice,
      )
      expect(forbidden.status).to.equal(403)
      expect(forbidden.body).to.deep.equal({detail: 'Admin access required'})
    })
  })

  it('keeps the JWT secret of the data dir in a file only the owner can read', () => {
    expect(statSync(join(test.dataDir, 'jwt-secret')).mode & 0o777).to.equal(0o600)
  })
})
