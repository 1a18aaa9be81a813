import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {mkdir, readdir} from 'node:fs/promises'
import {join} from 'node:path'

import {cachedTokenStore, readSession, writeSession} from '../../src/auth/session-store.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'

const ROOT = new URL('../..', import.meta.url).pathname

describe('commands: whoami and logout', () => {
  let sandbox: Sandbox

  beforeEach(async () => {
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter()
  })

  afterEach(async () => {
    await sandbox.remove()
  })

  const expiresAt = Date.UTC(2031, 0, 2, 3, 4, 5)
  const loggedIn = () =>
    writeSession(sandbox.configDir, {
      server: 'http://cidx.test:8000',
      username: 'alice',
      role: 'admin',
      accessToken: fakeJwt({username: 'alice', role: 'admin'}),
      accessTokenExpiresAt: expiresAt,
      refreshToken: 'refresh-secret',
    })

  describe('whoami', () => {
    it('shows server, user, role, the source and the token expiry of a login session', async () => {
      await loggedIn()
      const {stdout, stderr, error} = await runCommand('whoami', {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stderr).to.equal('')
      expect(stdout).to.include('Server:  http://cidx.test:8000 (from cidx login)')
      expect(stdout).to.include('User:    alice')
      expect(stdout).to.include('Role:    admin')
      expect(stdout).to.include('Auth:    login session (cidx login)')
      expect(stdout).to.include('Token:   expires 2031-01-02T03:04:05.000Z (in ')
      expect(stdout).not.to.include('refresh-secret')
    })

    it('prints JSON without any token', async () => {
      await loggedIn()
      const {stdout, error} = await runCommand(['whoami', '--json'], {root: ROOT})
      expect(error).to.equal(undefined)
      expect(JSON.parse(stdout)).to.deep.equal({
        server: 'http://cidx.test:8000',
        username: 'alice',
        role: 'admin',
        source: 'login',
        credentials: 'login',
        method: 'session',
        project_root: null,
        access_token_expires_at: '2031-01-02T03:04:05.000Z',
      })
      expect(stdout).not.to.include('refresh-secret')
      expect(stdout).not.to.include('eyJ')
    })

    it('says where env credentials come from and never shows CIDX_TOKEN', async () => {
      process.env.CIDX_SERVER_URL = 'https://ci.example.com/'
      process.env.CIDX_TOKEN = 'cidx_sk_0123456789abcdef0123456789abcdef'
      const {stdout, error} = await runCommand('whoami', {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stdout).to.include('Server:  https://ci.example.com (from CIDX_SERVER_URL)')
      expect(stdout).to.include('Auth:    API key from CIDX_TOKEN')
      expect(stdout).to.include('Token:   API key (does not expire)')
      expect(stdout).not.to.include('cidx_sk_')
    })

    it('honours --server and reports the flag as the source', async () => {
      await loggedIn()
      const {stdout, error} = await runCommand(['whoami', '--server', 'http://CIDX.test:8000/'], {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stdout).to.include('(from --server)')
      expect(stdout).to.include('User:    alice')
    })

    it('exits 3 with the message and, on the next line, the ways to fix it when nothing is configured', async () => {
      const {stdout, stderr, error} = await runCommand('whoami', {root: ROOT})
      expect(error?.oclif?.exit).to.equal(3)
      expect(stdout).to.equal('')
      const [message, hint, ...rest] = stderr.trim().split('\n')
      expect(message).to.equal('Error: No CIDX server configured.')
      expect(hint).to.include('cidx login --server URL')
      expect(rest).to.deep.equal([])
    })

    it('reports the error as JSON under --json', async () => {
      const {stdout, error} = await runCommand(['whoami', '--json'], {root: ROOT})
      expect(error?.oclif?.exit).to.equal(3)
      expect(JSON.parse(stdout).error).to.include({kind: 'config', exit_code: 3})
    })

    it('exits 2 on an invalid --server', async () => {
      const {stderr, error} = await runCommand(['whoami', '--server', 'ftp://x'], {root: ROOT})
      expect(error?.oclif?.exit).to.equal(2)
      expect(stderr).to.include('--server: only http:// and https://')
    })

    it('shows env password credentials before their first use', async () => {
      process.env.CIDX_SERVER_URL = 'http://h.test'
      process.env.CIDX_USERNAME = 'ci'
      process.env.CIDX_PASSWORD = 'pw-secret'
      const {stdout} = await runCommand('whoami', {root: ROOT})
      expect(stdout).to.include('Auth:    CIDX_USERNAME and CIDX_PASSWORD')
      expect(stdout).to.include('Token:   none cached (logs in on first use)')
      expect(stdout).not.to.include('pw-secret')
    })
  })

  describe('whoami in a cidx project', () => {
    it('names the project as the source of server and credentials', async () => {
      const {createCipheriv, pbkdf2Sync, randomBytes} = await import('node:crypto')
      const {writeFile} = await import('node:fs/promises')
      const server = 'http://project.test:9000'
      const salt = randomBytes(32)
      const iv = randomBytes(16)
      const key = pbkdf2Sync(`pat:${sandbox.base}:${server}`, salt, 100_000, 32, 'sha256')
      const cipher = createCipheriv('aes-256-cbc', key, iv)
      const plaintext = JSON.stringify({username: 'pat', password: 'project-pw', server_url: server, created_at: 1.5})
      await mkdir(join(sandbox.base, '.code-indexer'))
      await writeFile(
        join(sandbox.base, '.code-indexer', '.remote-config'),
        JSON.stringify({mode: 'remote', server_url: server, username: 'pat'}),
      )
      await writeFile(
        join(sandbox.base, '.code-indexer', '.creds'),
        Buffer.concat([salt, iv, cipher.update(plaintext), cipher.final()]),
      )
      const {stdout, error} = await runCommand('whoami', {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stdout).to.include(`Server:  ${server} (from the cidx project in ${sandbox.base})`)
      expect(stdout).to.include(`Auth:    .code-indexer/.creds in ${sandbox.base}`)
      expect(stdout).to.include('User:    pat')
      expect(stdout).not.to.include('project-pw')
    })
  })

  describe('logout', () => {
    it('forgets the session and the cached tokens for its server, then is idempotent', async () => {
      await loggedIn()
      await cachedTokenStore(sandbox.configDir, 'http://cidx.test:8000', 'ci').save({
        accessToken: 'x',
        accessTokenExpiresAt: null,
      })
      const first = await runCommand('logout', {root: ROOT})
      expect(first.error).to.equal(undefined)
      expect(first.stdout).to.equal('Logged out of http://cidx.test:8000\n')
      expect(await readSession(sandbox.configDir)).to.equal(null)
      expect(await readdir(join(sandbox.configDir, 'tokens'))).to.deep.equal([])

      const second = await runCommand(['logout', '--json'], {root: ROOT})
      expect(second.error).to.equal(undefined)
      expect(JSON.parse(second.stdout)).to.deep.equal({server: null, logged_out: false, cached_tokens_removed: 0})

      const whoami = await runCommand('whoami', {root: ROOT})
      expect(whoami.error?.oclif?.exit).to.equal(3)
    })

    it('with --server, forgets that server only', async () => {
      await loggedIn()
      await cachedTokenStore(sandbox.configDir, 'http://other.test', 'ci').save({
        accessToken: 'x',
        accessTokenExpiresAt: null,
      })
      const {stdout, error} = await runCommand(['logout', '--server', 'http://other.test/'], {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stdout).to.equal('Forgot the cached tokens for http://other.test\n')
      expect((await readSession(sandbox.configDir))?.server).to.equal('http://cidx.test:8000')
    })

    it('says so when there is nothing to forget', async () => {
      await mkdir(sandbox.configDir, {recursive: true})
      const {stdout, error} = await runCommand('logout', {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stdout).to.equal('Not logged in\n')
    })
  })
})
