import {expect} from 'chai'
import {mkdir, mkdtemp, readFile, realpath, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {resolveCredentials} from '../../src/auth/credential-chain.js'
import {type Session, tokenCachePath, writeSession} from '../../src/auth/session-store.js'
import {AuthError, CliError, NotConfiguredError, UsageError} from '../../src/errors.js'
import {makeProject} from '../helpers/fixtures/cidx-project.js'
import {rejection} from '../helpers/thrown.js'

const session = (server: string, overrides: Partial<Session> = {}): Session => ({
  server,
  username: 'sam',
  role: 'admin',
  accessToken: 'session-access',
  accessTokenExpiresAt: 1_900_000_000_000,
  refreshToken: 'session-refresh',
  ...overrides,
})

describe('credential-chain: resolveCredentials', () => {
  let base: string
  let configDir: string
  let outside: string

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-config-')))
    configDir = join(base, 'config')
    outside = join(base, 'elsewhere')
    await mkdir(outside)
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  describe('with nothing configured', () => {
    it('throws NotConfiguredError (exit 3) whose hint lists every way to fix it', async () => {
      const error = await rejection(resolveCredentials({env: {}, cwd: outside, configDir}))
      expect(error).to.be.instanceOf(NotConfiguredError)
      const {message, hint, exitCode} = error as CliError
      expect(exitCode).to.equal(3)
      expect(message).to.equal('No CIDX server configured')
      expect(message).not.to.include('\n')
      expect(hint).to.include('cidx login --server URL')
      expect(hint).to.include('CIDX_SERVER_URL')
      expect(hint).to.include('CIDX_TOKEN')
      expect(hint).to.include('.code-indexer')
    })

    it('says so when a token is set without CIDX_SERVER_URL', async () => {
      const error = await rejection(resolveCredentials({env: {CIDX_TOKEN: 'cidx_sk_x'}, cwd: outside, configDir}))
      expect(error).to.be.instanceOf(NotConfiguredError)
      expect(error.message).to.include('CIDX_SERVER_URL is not')
      expect(error.message).not.to.include('cidx_sk_x')
    })

    it('treats empty variables as unset', async () => {
      const env = {CIDX_SERVER_URL: '', CIDX_TOKEN: '', CIDX_USERNAME: '', CIDX_PASSWORD: ''}
      const error = await rejection(resolveCredentials({env, cwd: outside, configDir}))
      expect(error.message).to.equal('No CIDX server configured')
    })
  })

  describe('level 2: the environment', () => {
    it('uses CIDX_TOKEN as a static token, with the URL normalised', async () => {
      const creds = await resolveCredentials({
        env: {CIDX_SERVER_URL: 'HTTP://Example.COM:80/', CIDX_TOKEN: ' cidx_sk_0123456789abcdef0123456789abcdef\n'},
        cwd: outside,
        configDir,
      })
      expect(creds).to.deep.include({
        serverUrl: 'http://example.com',
        source: 'env',
        authOrigin: 'env',
        staticToken: 'cidx_sk_0123456789abcdef0123456789abcdef',
      })
      expect(creds.tokenStore).to.equal(undefined)
      expect(creds.password).to.equal(undefined)
    })

    it('uses CIDX_USERNAME + CIDX_PASSWORD with a token cache in the config dir', async () => {
      const creds = await resolveCredentials({
        env: {CIDX_SERVER_URL: 'https://cidx.test/api-prefix/', CIDX_USERNAME: 'eve', CIDX_PASSWORD: ' spaced pw '},
        cwd: outside,
        configDir,
      })
      expect(creds).to.deep.include({
        serverUrl: 'https://cidx.test/api-prefix',
        source: 'env',
        username: 'eve',
        password: ' spaced pw ',
      })
      await creds.tokenStore!.save({accessToken: 'tok', accessTokenExpiresAt: 5})
      const cached = JSON.parse(
        await readFile(tokenCachePath(configDir, 'https://cidx.test/api-prefix', 'eve'), 'utf8'),
      )
      expect(cached).to.include({server: 'https://cidx.test/api-prefix', username: 'eve', accessToken: 'tok'})
      expect(JSON.stringify(cached)).not.to.include('spaced pw')
    })

    it('prefers CIDX_TOKEN over CIDX_USERNAME + CIDX_PASSWORD', async () => {
      const creds = await resolveCredentials({
        env: {CIDX_SERVER_URL: 'http://h', CIDX_TOKEN: 'jwt', CIDX_USERNAME: 'u', CIDX_PASSWORD: 'p'},
        cwd: outside,
        configDir,
      })
      expect(creds.staticToken).to.equal('jwt')
      expect(creds.password).to.equal(undefined)
    })

    it('wins over a project and a login session', async () => {
      await makeProject(base, {serverUrl: 'http://project.test'})
      await writeSession(configDir, session('http://session.test'))
      const creds = await resolveCredentials({
        env: {CIDX_SERVER_URL: 'http://env.test', CIDX_TOKEN: 't'},
        cwd: base,
        configDir,
      })
      expect(creds).to.deep.include({serverUrl: 'http://env.test', source: 'env', authOrigin: 'env'})
    })

    it('takes credentials from the login session of the same server when the env has none', async () => {
      await writeSession(configDir, session('http://env.test'))
      const creds = await resolveCredentials({env: {CIDX_SERVER_URL: 'http://env.test/'}, cwd: outside, configDir})
      expect(creds).to.deep.include({serverUrl: 'http://env.test', source: 'env', authOrigin: 'login', username: 'sam'})
      expect(await creds.tokenStore!.load()).to.deep.equal({
        accessToken: 'session-access',
        accessTokenExpiresAt: 1_900_000_000_000,
        refreshToken: 'session-refresh',
      })
    })

    it('does not use a login session made for another server, and names that server', async () => {
      await writeSession(configDir, session('http://other.test'))
      const error = await rejection(
        resolveCredentials({env: {CIDX_SERVER_URL: 'http://env.test'}, cwd: outside, configDir}),
      )
      expect(error).to.be.instanceOf(NotConfiguredError)
      expect(error.message).to.equal('No credentials for http://env.test; you are logged in to http://other.test')
      expect((error as CliError).hint).to.equal(
        'Check the server URL (--server, CIDX_SERVER_URL); to use http://env.test, run `cidx login --server http://env.test`, or set CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD).',
      )
    })

    it('ignores a half-set CIDX_USERNAME without CIDX_PASSWORD', async () => {
      const error = await rejection(
        resolveCredentials({env: {CIDX_SERVER_URL: 'http://env.test', CIDX_USERNAME: 'u'}, cwd: outside, configDir}),
      )
      expect(error).to.be.instanceOf(NotConfiguredError)
    })

    it('rejects an invalid CIDX_SERVER_URL with a UsageError naming the variable', async () => {
      const error = await rejection(
        resolveCredentials({env: {CIDX_SERVER_URL: 'ftp://x', CIDX_TOKEN: 't'}, cwd: outside, configDir}),
      )
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include('CIDX_SERVER_URL')
    })
  })

  describe('level 1: the --server flag', () => {
    it('wins over CIDX_SERVER_URL; env credentials for another server are not sent to it', async () => {
      await writeSession(configDir, session('http://flag.test'))
      const creds = await resolveCredentials({
        serverFlag: 'http://flag.test/',
        env: {CIDX_SERVER_URL: 'http://env.test', CIDX_TOKEN: 'env-token'},
        cwd: outside,
        configDir,
      })
      expect(creds).to.deep.include({serverUrl: 'http://flag.test', source: 'flags', authOrigin: 'login'})
      expect(creds.staticToken).to.equal(undefined)
    })

    it('uses env credentials when CIDX_SERVER_URL is unset or names the same server', async () => {
      const unset = await resolveCredentials({
        serverFlag: 'http://flag.test',
        env: {CIDX_TOKEN: 'tok'},
        cwd: outside,
        configDir,
      })
      expect(unset).to.deep.include({
        serverUrl: 'http://flag.test',
        source: 'flags',
        authOrigin: 'env',
        staticToken: 'tok',
      })
      const same = await resolveCredentials({
        serverFlag: 'http://flag.test',
        env: {CIDX_SERVER_URL: 'http://FLAG.test/', CIDX_USERNAME: 'u', CIDX_PASSWORD: 'p'},
        cwd: outside,
        configDir,
      })
      expect(same).to.deep.include({source: 'flags', authOrigin: 'env', username: 'u', password: 'p'})
    })

    it('uses the project credentials when the project names the same server', async () => {
      await makeProject(base, {serverUrl: 'http://flag.test', password: 'pw1'})
      await writeSession(configDir, session('http://flag.test'))
      const creds = await resolveCredentials({serverFlag: 'http://flag.test', env: {}, cwd: base, configDir})
      expect(creds).to.deep.include({
        source: 'flags',
        authOrigin: 'project',
        username: 'pat',
        password: 'pw1',
        projectRoot: base,
      })
    })

    it('ignores a project for another server and fails when nothing else fits', async () => {
      await makeProject(base, {serverUrl: 'http://project.test'})
      const error = await rejection(resolveCredentials({serverFlag: 'http://flag.test', env: {}, cwd: base, configDir}))
      expect(error).to.be.instanceOf(NotConfiguredError)
      expect(error.message).to.equal('No credentials for http://flag.test')
    })

    it('passes over a project whose server_url is not a URL, since it names no server', async () => {
      await makeProject(base, {serverUrl: 'cidx.example.com'})
      await writeSession(configDir, session('http://flag.test'))
      const creds = await resolveCredentials({serverFlag: 'http://flag.test', env: {}, cwd: base, configDir})
      expect(creds).to.deep.include({source: 'flags', authOrigin: 'login', username: 'sam'})
    })

    it('never reads the project when env credentials apply', async () => {
      await mkdir(join(base, '.code-indexer'))
      await writeFile(join(base, '.code-indexer', '.remote-config'), '{broken')
      const creds = await resolveCredentials({
        serverFlag: 'http://flag.test',
        env: {CIDX_TOKEN: 't'},
        cwd: base,
        configDir,
      })
      expect(creds.staticToken).to.equal('t')
    })

    it('rejects an invalid flag with a UsageError naming --server', async () => {
      const error = await rejection(
        resolveCredentials({serverFlag: 'localhost:8000', env: {}, cwd: outside, configDir}),
      )
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include('--server')
      expect((error as CliError).hint).to.include('http://localhost:8000')
    })
  })

  describe('level 3: a cidx project (.code-indexer)', () => {
    it('decrypts .creds found by walking up from a nested folder', async () => {
      await makeProject(base, {serverUrl: 'https://cidx.example.com', username: 'pat', password: 'pässwörd ✓'})
      const nested = join(base, 'src', 'deep', 'er')
      await mkdir(nested, {recursive: true})
      await writeSession(configDir, session('https://cidx.example.com'))
      const creds = await resolveCredentials({env: {}, cwd: nested, configDir})
      expect(creds).to.deep.include({
        serverUrl: 'https://cidx.example.com',
        source: 'project',
        authOrigin: 'project',
        username: 'pat',
        password: 'pässwörd ✓',
        projectRoot: base,
      })
      await creds.tokenStore!.save({accessToken: 'a', accessTokenExpiresAt: null})
      expect(await creds.tokenStore!.load()).to.deep.equal({accessToken: 'a', accessTokenExpiresAt: null})
    })

    it('derives the key from server_url exactly as written, then normalises the URL it returns', async () => {
      await makeProject(base, {serverUrl: 'https://cidx.example.com/', password: 'pw'})
      const creds = await resolveCredentials({env: {}, cwd: base, configDir})
      expect(creds.serverUrl).to.equal('https://cidx.example.com')
      expect(creds.password).to.equal('pw')
    })

    it('passes over a local-mode .code-indexer without .remote-config', async () => {
      await makeProject(base, {serverUrl: 'http://outer.test'})
      const inner = join(base, 'inner')
      await mkdir(join(inner, '.code-indexer'), {recursive: true})
      await writeFile(join(inner, '.code-indexer', 'config.json'), '{}')
      const creds = await resolveCredentials({env: {}, cwd: inner, configDir})
      expect(creds).to.deep.include({serverUrl: 'http://outer.test', projectRoot: base})
    })

    it('wins over the login session', async () => {
      await makeProject(base, {serverUrl: 'http://project.test'})
      await writeSession(configDir, session('http://session.test'))
      const creds = await resolveCredentials({env: {}, cwd: base, configDir})
      expect(creds).to.deep.include({serverUrl: 'http://project.test', source: 'project', authOrigin: 'project'})
    })

    it('lets env credentials without CIDX_SERVER_URL beat the project .creds', async () => {
      await makeProject(base, {serverUrl: 'http://project.test'})
      const creds = await resolveCredentials({env: {CIDX_TOKEN: 'ci-token'}, cwd: base, configDir})
      expect(creds).to.deep.include({
        serverUrl: 'http://project.test',
        source: 'project',
        authOrigin: 'env',
        staticToken: 'ci-token',
      })
    })

    it('falls back to the login session for the same server when the project has no .creds', async () => {
      await makeProject(base, {serverUrl: 'http://project.test', creds: 'none'})
      await writeSession(configDir, session('http://project.test'))
      const creds = await resolveCredentials({env: {}, cwd: base, configDir})
      expect(creds).to.deep.include({source: 'project', authOrigin: 'login', username: 'sam'})
    })

    it('reports missing credentials when the project has no .creds and no session fits', async () => {
      await makeProject(base, {serverUrl: 'http://project.test', creds: 'none'})
      const error = await rejection(resolveCredentials({env: {}, cwd: base, configDir}))
      expect(error).to.be.instanceOf(NotConfiguredError)
      expect(error.message).to.equal('No credentials for http://project.test')
    })

    it('refuses a .creds encrypted for another folder with an AuthError that shows nothing of it', async () => {
      await makeProject(base, {serverUrl: 'http://project.test', password: 'top-secret', keyRoot: '/somewhere/else'})
      const error = await rejection(resolveCredentials({env: {}, cwd: base, configDir}))
      expect(error).to.be.instanceOf(AuthError)
      expect((error as CliError).exitCode).to.equal(3)
      expect(error.message).to.equal(`Cannot decrypt ${join(base, '.code-indexer', '.creds')}`)
      expect(JSON.stringify((error as CliError).toJSON())).not.to.include('top-secret')
    })

    it('rejects an invalid server_url in .remote-config with a UsageError naming the file', async () => {
      await makeProject(base, {serverUrl: 'cidx.example.com'})
      const error = await rejection(resolveCredentials({env: {}, cwd: base, configDir}))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include('.remote-config')
    })
  })

  describe('level 4: the cidx login session', () => {
    it('uses the stored session and its tokens', async () => {
      await writeSession(configDir, session('http://session.test'))
      const creds = await resolveCredentials({env: {}, cwd: outside, configDir})
      expect(creds).to.deep.include({
        serverUrl: 'http://session.test',
        source: 'login',
        authOrigin: 'login',
        username: 'sam',
      })
      expect(creds.password).to.equal(undefined)
      expect((await creds.tokenStore!.load())?.accessToken).to.equal('session-access')
    })

    it('asks to log in again when the session has no tokens left', async () => {
      await writeSession(
        configDir,
        session('http://session.test', {accessToken: null, refreshToken: null, accessTokenExpiresAt: null}),
      )
      const error = await rejection(resolveCredentials({env: {}, cwd: outside, configDir}))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.equal('Your login session for http://session.test has expired')
      expect((error as CliError).hint).to.include('cidx login --server http://session.test')
    })

    it('treats a corrupt session file as no session', async () => {
      await mkdir(configDir, {recursive: true})
      await writeFile(join(configDir, 'session.json'), '{"server": ')
      expect(await rejection(resolveCredentials({env: {}, cwd: outside, configDir}))).to.be.instanceOf(
        NotConfiguredError,
      )
    })
  })
})
