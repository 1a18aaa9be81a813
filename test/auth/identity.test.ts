import {expect} from 'chai'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ResolvedCredentials} from '../../src/auth/credential-chain.js'

import {describeIdentity, formatIdentity, type Identity} from '../../src/auth/identity.js'
import {cachedTokenStore, sessionTokenStore, writeSession} from '../../src/auth/session-store.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'

describe('identity', () => {
  let configDir: string

  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'cidx-identity-'))
  })

  afterEach(async () => {
    await rm(configDir, {recursive: true, force: true})
  })

  it('describes an API key without user, role or expiry', async () => {
    const credentials: ResolvedCredentials = {
      serverUrl: 'http://h',
      source: 'env',
      authOrigin: 'env',
      staticToken: 'cidx_sk_abc',
    }
    expect(await describeIdentity(credentials, configDir)).to.deep.equal({
      server: 'http://h',
      source: 'env',
      auth: 'env',
      projectRoot: null,
      method: 'api_key',
      username: null,
      role: null,
      accessTokenExpiresAt: null,
    })
  })

  it('describes a static JWT from its claims (exp in float seconds)', async () => {
    const token = fakeJwt({username: 'ci', role: 'power_user', exp: 1_900_000_000.25})
    const identity = await describeIdentity(
      {serverUrl: 'http://h', source: 'flags', authOrigin: 'env', staticToken: token},
      configDir,
    )
    expect(identity).to.deep.include({
      method: 'token',
      username: 'ci',
      role: 'power_user',
      accessTokenExpiresAt: 1_900_000_000_250,
    })
    const opaque = await describeIdentity(
      {serverUrl: 'http://h', source: 'env', authOrigin: 'env', staticToken: 'opaque'},
      configDir,
    )
    expect(opaque).to.deep.include({method: 'token', username: null, role: null, accessTokenExpiresAt: null})
    const bySubject = await describeIdentity(
      {serverUrl: 'http://h', source: 'env', authOrigin: 'env', staticToken: fakeJwt({sub: 'subject', exp: 'never'})},
      configDir,
    )
    expect(bySubject).to.deep.include({username: 'subject', accessTokenExpiresAt: null})
  })

  it('describes password credentials from the cached token, or without one', async () => {
    const store = cachedTokenStore(configDir, 'http://h', 'pat')
    const credentials: ResolvedCredentials = {
      serverUrl: 'http://h',
      source: 'project',
      authOrigin: 'project',
      projectRoot: '/work/repo',
      username: 'pat',
      password: 'pw',
      tokenStore: store,
    }
    expect(await describeIdentity(credentials, configDir)).to.deep.include({
      method: 'password',
      username: 'pat',
      role: null,
      accessTokenExpiresAt: null,
    })
    await store.save({accessToken: fakeJwt({role: 'admin'}), accessTokenExpiresAt: 42})
    expect(await describeIdentity(credentials, configDir)).to.deep.include({
      method: 'password',
      role: 'admin',
      accessTokenExpiresAt: 42,
      projectRoot: '/work/repo',
    })
  })

  it('describes a login session with the role stored at login', async () => {
    await writeSession(configDir, {
      server: 'http://h',
      username: 'sam',
      role: 'normal_user',
      accessToken: fakeJwt({role: 'ignored'}),
      accessTokenExpiresAt: 7,
      refreshToken: 'r',
    })
    const credentials: ResolvedCredentials = {
      serverUrl: 'http://h',
      source: 'login',
      authOrigin: 'login',
      username: 'sam',
      tokenStore: sessionTokenStore(configDir, 'http://h', 'sam'),
    }
    expect(await describeIdentity(credentials, configDir)).to.deep.include({
      method: 'session',
      username: 'sam',
      role: 'normal_user',
      accessTokenExpiresAt: 7,
    })
  })

  describe('formatIdentity', () => {
    const now = Date.UTC(2030, 0, 1)
    const identity: Identity = {
      server: 'http://h',
      username: 'sam',
      role: 'admin',
      source: 'login',
      auth: 'login',
      method: 'session',
      projectRoot: null,
      accessTokenExpiresAt: now + 5 * 60_000,
    }

    it('prints server, user, role, where they come from and the token expiry', () => {
      expect(formatIdentity(identity, now)).to.deep.equal([
        'Server:  http://h (from cidx login)',
        'User:    sam',
        'Role:    admin',
        'Auth:    login session (cidx login)',
        'Token:   expires 2030-01-01T00:05:00.000Z (in 5 min)',
      ])
    })

    it('says how an expired token gets renewed, and what is unknown', () => {
      const expired = formatIdentity({...identity, accessTokenExpiresAt: now - 60_000}, now)
      expect(expired[4]).to.equal('Token:   expired 2029-12-31T23:59:00.000Z (1 min ago), renewed on next use')
      const staticToken = formatIdentity(
        {...identity, method: 'token', auth: 'env', source: 'env', accessTokenExpiresAt: now - 1000},
        now,
      )
      expect(staticToken[0]).to.equal('Server:  http://h (from CIDX_SERVER_URL)')
      expect(staticToken[3]).to.equal('Auth:    access token from CIDX_TOKEN')
      expect(staticToken[4]).to.match(/replace CIDX_TOKEN$/)
      const unknown = formatIdentity(
        {...identity, username: null, role: null, accessTokenExpiresAt: null, source: 'flags'},
        now,
      )
      expect(unknown).to.include.members([
        'Server:  http://h (from --server)',
        'User:    unknown',
        'Role:    unknown',
        'Token:   expiry unknown',
      ])
      const project = formatIdentity(
        {...identity, source: 'project', auth: 'project', method: 'password', projectRoot: '/r'},
        now,
      )
      expect(project[0]).to.equal('Server:  http://h (from the cidx project in /r)')
      expect(project[3]).to.equal('Auth:    .code-indexer/.creds in /r')
    })
  })
})
