import type {ServerHandle} from '@cidx/local-server'

import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises'
import {createServer as createHttpServer, type Server} from 'node:http'
import {type AddressInfo, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readSession, sessionPath, writeSession} from '../../src/auth/session-store.js'
import {replaceStdin} from '../helpers/fake-stdin.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {startLocalServer} from '../helpers/servers/local-server.js'

const ROOT = new URL('../..', import.meta.url).pathname
const PASSWORD = 'correct horse battery staple'

/** Every file under the config dir, to prove the password was written nowhere. */
async function allStoredText(dir: string): Promise<string> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name))
  return (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join('\n')
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => {
    server.close(resolve)
  })
  return port
}

describe('commands: login (against the local server)', () => {
  let sandbox: Sandbox
  let server: ServerHandle
  let dataDir: string
  /** A URL nothing listens on: a command that refuses before any request exits 2 there, not 5. */
  let nowhere: string
  let restoreStdin: (() => void) | undefined

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cidx-login-server-'))
    server = await startLocalServer({port: 0, dataDir, adminPassword: 'admin-pw'})
    await server.testing.createUser('alice', PASSWORD, 'admin')
    await server.testing.createUser('bob', 'bobs-pw', 'normal_user')
    nowhere = `http://127.0.0.1:${await closedPort()}`
  })

  after(async () => {
    await server.close()
    await rm(dataDir, {recursive: true, force: true})
  })

  beforeEach(async () => {
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter()
  })

  afterEach(async () => {
    restoreStdin?.()
    restoreStdin = undefined
    await sandbox.remove()
  })

  /** stdin for the command: piped text (not a TTY) or a fake terminal. */
  function stdin(options: {text?: string; tty: boolean}) {
    const replaced = replaceStdin({tty: options.tty})
    restoreStdin = replaced.restore
    if (options.text !== undefined) replaced.stdin.end(options.text)
    return replaced.stdin
  }

  it('logs in with --password-stdin and stores server, user, role and tokens (0600) but no password', async () => {
    stdin({tty: false, text: `${PASSWORD}\n`})
    const {stdout, stderr, error} = await runCommand(
      ['login', '--server', `${server.url}/`, '--username', 'alice', '--password-stdin'],
      {
        root: ROOT,
      },
    )
    expect(error).to.equal(undefined)
    expect(stderr).to.equal('')
    expect(stdout).to.equal(`Logged in to ${server.url} as alice (admin)\n`)

    const session = await readSession(sandbox.configDir)
    expect(session).to.include({server: server.url, username: 'alice', role: 'admin'})
    expect(session?.accessToken).to.be.a('string')
    expect(session?.refreshToken).to.be.a('string').and.not.equal('')
    expect(session?.accessTokenExpiresAt).to.be.greaterThan(Date.now())
    expect((await stat(sessionPath(sandbox.configDir))).mode & 0o777).to.equal(0o600)
    expect((await stat(sandbox.configDir)).mode & 0o777).to.equal(0o700)
    expect(await allStoredText(sandbox.configDir)).not.to.include(PASSWORD)
  })

  it('prints {server, username, role} under --json, never a token', async () => {
    stdin({tty: false, text: 'bobs-pw'})
    const {stdout, error} = await runCommand(
      ['login', '--server', server.url, '-u', 'bob', '--password-stdin', '--json'],
      {root: ROOT},
    )
    expect(error).to.equal(undefined)
    expect(JSON.parse(stdout)).to.deep.equal({server: server.url, username: 'bob', role: 'normal_user'})
    const session = await readSession(sandbox.configDir)
    expect(stdout).not.to.include(session!.accessToken!)
    expect(stdout).not.to.include(session!.refreshToken!)
  })

  it('asks for the password without echo on a terminal', async () => {
    const terminal = stdin({tty: true})
    terminal.write(`${PASSWORD}\r`)
    const {stdout, stderr, error} = await runCommand(['login', '--server', server.url, '--username', 'alice'], {
      root: ROOT,
    })
    expect(error).to.equal(undefined)
    expect(stderr).to.equal(`Password for alice at ${server.url}: \n`)
    expect(stdout).to.include('as alice (admin)')
    expect(terminal.isRaw).to.equal(false)
  })

  it('asks for the user name, then the password, when neither is known', async () => {
    const terminal = stdin({tty: true})
    let rawModeSwitches = 0
    const setRawMode = terminal.setRawMode!
    // readline switches raw mode on for the user name, the password prompt switches it on again: answer each in turn.
    terminal.setRawMode = (mode: boolean) => {
      setRawMode(mode)
      if (mode) rawModeSwitches++
      if (mode && rawModeSwitches === 1) setImmediate(() => terminal.write('bob\r'))
      if (mode && rawModeSwitches === 2) setImmediate(() => terminal.write('bobs-pw\r'))
      return terminal
    }

    const {stdout, stderr, error} = await runCommand(['login', '--server', server.url], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stderr).to.include('Username: ')
    expect(stderr).not.to.include('bobs-pw')
    expect(stdout).to.equal(`Logged in to ${server.url} as bob (normal_user)\n`)
  })

  it('takes the server from CIDX_SERVER_URL and the user name from the last login', async () => {
    await writeSession(sandbox.configDir, {
      server: server.url,
      username: 'alice',
      role: 'admin',
      accessToken: null,
      accessTokenExpiresAt: null,
      refreshToken: null,
    })
    process.env.CIDX_SERVER_URL = server.url
    stdin({tty: false, text: PASSWORD})
    const {stdout, error} = await runCommand(['login', '--password-stdin'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stdout).to.include(`Logged in to ${server.url} as alice`)
    expect((await readSession(sandbox.configDir))?.accessToken).to.be.a('string')
  })

  it('then whoami shows the new session', async () => {
    stdin({tty: false, text: PASSWORD})
    await runCommand(['login', '--server', server.url, '--username', 'alice', '--password-stdin'], {root: ROOT})
    const {stdout, error} = await runCommand(['whoami', '--json'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(JSON.parse(stdout)).to.include({
      server: server.url,
      username: 'alice',
      role: 'admin',
      source: 'login',
      method: 'session',
    })
  })

  it('exits 3 on a wrong password and stores nothing', async () => {
    stdin({tty: false, text: 'wrong'})
    const {stdout, stderr, error} = await runCommand(
      ['login', '--server', server.url, '--username', 'alice', '--password-stdin'],
      {
        root: ROOT,
      },
    )
    expect(error?.oclif?.exit).to.equal(3)
    expect(stdout).to.equal('')
    expect(stderr).to.equal('Error: Invalid credentials.\nCheck the username and password.\n')
    expect(stderr).not.to.include('wrong')
    expect(await readSession(sandbox.configDir)).to.equal(null)
  })

  it('refuses to prompt without a terminal (exit 2)', async () => {
    stdin({tty: false})
    const {stderr, error} = await runCommand(['login', '--server', nowhere, '--username', 'alice'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.include('no terminal: use --password-stdin')
  })

  it('needs --username with --password-stdin, a server, and a non-empty password (exit 2)', async () => {
    stdin({tty: false, text: PASSWORD})
    const noUser = await runCommand(['login', '--server', nowhere, '--password-stdin'], {root: ROOT})
    expect(noUser.error?.oclif?.exit).to.equal(2)
    expect(noUser.stderr).to.include('--username is required with --password-stdin')

    const noServer = await runCommand(['login', '--username', 'alice', '--password-stdin'], {root: ROOT})
    expect(noServer.error?.oclif?.exit).to.equal(2)
    expect(noServer.stderr).to.include('No server to log in to')

    stdin({tty: false, text: '\n'})
    const empty = await runCommand(['login', '--server', nowhere, '--username', 'alice', '--password-stdin'], {
      root: ROOT,
    })
    expect(empty.error?.oclif?.exit).to.equal(2)
    expect(empty.stderr).to.include('The password is empty')
  })

  it('exits 2 on an invalid --server and 5 when the server cannot be reached', async () => {
    stdin({tty: false, text: PASSWORD})
    const invalid = await runCommand(
      ['login', '--server', 'cidx.example.com', '--username', 'alice', '--password-stdin'],
      {root: ROOT},
    )
    expect(invalid.error?.oclif?.exit).to.equal(2)

    stdin({tty: false, text: PASSWORD})
    const unreachable = await runCommand(['login', '--server', nowhere, '--username', 'alice', '--password-stdin'], {
      root: ROOT,
    })
    expect(unreachable.error?.oclif?.exit).to.equal(5)
    expect(unreachable.stderr).not.to.include(PASSWORD)
  })

  it('turns Ctrl-C at the password prompt into exit 130', async () => {
    const terminal = stdin({tty: true})
    terminal.write('half\u0003')
    const {error} = await runCommand(['login', '--server', nowhere, '--username', 'alice'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(130)
  })

  describe('two-factor accounts (a loopback fake: the local server has no MFA)', () => {
    let mfaServer: Server
    let mfaUrl: string
    const codesSeen: string[] = []

    before(async () => {
      // POST /auth/login answers mfa_required; POST /auth/mfa/verify takes the code 123456, as the contract describes.
      mfaServer = createHttpServer(async (request, response) => {
        let raw = ''
        for await (const chunk of request) raw += chunk
        const body = JSON.parse(raw) as Record<string, string>
        const send = (status: number, payload: unknown) => {
          response.writeHead(status, {'content-type': 'application/json'})
          response.end(JSON.stringify(payload))
        }

        if (request.url === '/auth/login') return send(200, {mfa_required: true, mfa_token: 'mfa-token-1'})
        codesSeen.push(body.totp_code)
        if (body.mfa_token !== 'mfa-token-1' || body.totp_code !== '123456')
          return send(401, {detail: 'Invalid TOTP code'})
        send(200, {
          access_token: fakeJwt({username: 'carol', role: 'power_user', exp: Date.now() / 1000 + 600}),
          token_type: 'bearer',
          user: {username: 'carol', role: 'power_user'},
          refresh_token: 'carol-refresh',
        })
      })
      await new Promise<void>((resolve) => {
        mfaServer.listen(0, '127.0.0.1', resolve)
      })
      mfaUrl = `http://127.0.0.1:${(mfaServer.address() as AddressInfo).port}`
    })

    after(async () => {
      await new Promise((resolve) => {
        mfaServer.close(resolve)
      })
    })

    beforeEach(() => {
      codesSeen.length = 0
    })

    it('sends --totp to /auth/mfa/verify', async () => {
      stdin({tty: false, text: 'carols-pw'})
      const {stdout, error} = await runCommand(
        ['login', '--server', mfaUrl, '-u', 'carol', '--password-stdin', '--totp', '123456'],
        {root: ROOT},
      )
      expect(error).to.equal(undefined)
      expect(codesSeen).to.deep.equal(['123456'])
      expect(stdout).to.equal(`Logged in to ${mfaUrl} as carol (power_user)\n`)
    })

    it('asks for the one-time code on a terminal when --totp is missing', async () => {
      const terminal = stdin({tty: true})
      let rawModeSwitches = 0
      const setRawMode = terminal.setRawMode!
      terminal.setRawMode = (mode: boolean) => {
        setRawMode(mode)
        if (mode) rawModeSwitches++
        if (mode && rawModeSwitches === 1) setImmediate(() => terminal.write('carols-pw\r'))
        if (mode && rawModeSwitches === 2) setImmediate(() => terminal.write('123456\r'))
        return terminal
      }

      const {stderr, error} = await runCommand(['login', '--server', mfaUrl, '-u', 'carol'], {root: ROOT})
      expect(error).to.equal(undefined)
      expect(stderr).to.include('One-time code: ')
      expect(codesSeen).to.deep.equal(['123456'])
      expect((await readSession(sandbox.configDir))?.role).to.equal('power_user')
    })

    it('refuses to ask for the code without a terminal (exit 2), and a wrong code is exit 3', async () => {
      stdin({tty: false, text: 'carols-pw'})
      const noCode = await runCommand(['login', '--server', mfaUrl, '-u', 'carol', '--password-stdin'], {root: ROOT})
      expect(noCode.error?.oclif?.exit).to.equal(2)
      expect(noCode.stderr).to.include('no terminal: use --totp CODE')

      stdin({tty: false, text: 'carols-pw'})
      const wrong = await runCommand(
        ['login', '--server', mfaUrl, '-u', 'carol', '--password-stdin', '--totp', '000000'],
        {root: ROOT},
      )
      expect(wrong.error?.oclif?.exit).to.equal(3)
      expect(await readSession(sandbox.configDir)).to.equal(null)
    })
  })
})
