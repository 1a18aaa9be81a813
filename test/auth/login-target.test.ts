import {expect} from 'chai'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {resolveLoginTarget} from '../../src/auth/login-target.js'
import {writeSession} from '../../src/auth/session-store.js'
import {CliError, UsageError} from '../../src/errors.js'
import {rejection} from '../helpers/thrown.js'

describe('login-target: resolveLoginTarget', () => {
  let configDir: string

  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'cidx-login-target-'))
  })

  afterEach(async () => {
    await rm(configDir, {recursive: true, force: true})
  })

  const lastLogin = (server: string) =>
    writeSession(configDir, {
      server,
      username: 'sam',
      role: 'admin',
      accessToken: 'a',
      accessTokenExpiresAt: null,
      refreshToken: 'r',
    })

  it('takes --server first, then CIDX_SERVER_URL, then the last login', async () => {
    await lastLogin('http://last.test')
    const env = {CIDX_SERVER_URL: 'http://env.test/'}
    expect(await resolveLoginTarget({serverFlag: 'http://flag.test/', env, configDir})).to.deep.equal({
      server: 'http://flag.test',
      source: 'flags',
    })
    expect(await resolveLoginTarget({env, configDir})).to.deep.equal({server: 'http://env.test', source: 'env'})
    expect(await resolveLoginTarget({env: {}, configDir})).to.deep.equal({
      server: 'http://last.test',
      source: 'login',
      username: 'sam',
    })
  })

  it('takes the user name from --username, then CIDX_USERNAME, then the last login on the same server', async () => {
    await lastLogin('http://last.test')
    const env = {CIDX_USERNAME: 'env-user'}
    expect(
      (await resolveLoginTarget({serverFlag: 'http://last.test', usernameFlag: 'flag-user', env, configDir})).username,
    ).to.equal('flag-user')
    expect((await resolveLoginTarget({serverFlag: 'http://last.test', env, configDir})).username).to.equal('env-user')
    expect((await resolveLoginTarget({serverFlag: 'http://last.test', env: {}, configDir})).username).to.equal('sam')
    expect((await resolveLoginTarget({serverFlag: 'http://new.test', env: {}, configDir})).username).to.equal(undefined)
  })

  it('refuses without any server, and on an invalid one', async () => {
    const none = await rejection(resolveLoginTarget({env: {}, configDir}))
    expect(none).to.be.instanceOf(UsageError)
    expect((none as CliError).hint).to.include('cidx login --server URL')
    expect(await rejection(resolveLoginTarget({env: {CIDX_SERVER_URL: 'nope'}, configDir}))).to.be.instanceOf(
      UsageError,
    )
  })
})
