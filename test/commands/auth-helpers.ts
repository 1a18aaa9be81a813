import {randomUUID} from 'node:crypto'
import {mkdtemp, realpath, rm} from 'node:fs/promises'
import {type IncomingMessage, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

/**
 * Test plumbing for the login/logout/whoami command tests: an isolated config dir and working
 * directory, a replaceable process.stdin, and a small real HTTP server speaking the auth contract.
 */

const CIDX_VARIABLES = ['CIDX_SERVER_URL', 'CIDX_TOKEN', 'CIDX_USERNAME', 'CIDX_PASSWORD', 'CIDX_CONFIG_DIR'] as const

export interface CliSandbox {
  base: string
  /** oclif's configDir for the CLI under test (through CIDX_CONFIG_DIR, so the real home is never touched). */
  configDir: string
  restore(): Promise<void>
}

export async function cliSandbox(): Promise<CliSandbox> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-cmd-')))
  const saved = Object.fromEntries(CIDX_VARIABLES.map((name) => [name, process.env[name]]))
  const savedCwd = process.cwd()
  for (const name of CIDX_VARIABLES) delete process.env[name]
  const configDir = join(base, 'config')
  process.env.CIDX_CONFIG_DIR = configDir
  process.chdir(base) // no .code-indexer project above a fresh temp dir
  return {
    base,
    configDir,
    async restore() {
      process.chdir(savedCwd)
      for (const name of CIDX_VARIABLES) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }

      await rm(base, {recursive: true, force: true})
    },
  }
}

export type FakeStdin = PassThrough & {isTTY?: boolean; isRaw?: boolean; setRawMode?: (mode: boolean) => unknown}

/** Puts a stream in place of process.stdin until the returned function is called. */
export function replaceStdin(options: {tty: boolean}): {stdin: FakeStdin; restore: () => void} {
  const original = Object.getOwnPropertyDescriptor(process, 'stdin')!
  const stdin = new PassThrough() as FakeStdin
  if (options.tty) {
    stdin.isTTY = true
    stdin.isRaw = false
    stdin.setRawMode = (mode: boolean) => {
      stdin.isRaw = mode
      return stdin
    }
  }

  Object.defineProperty(process, 'stdin', {configurable: true, get: () => stdin})
  return {stdin, restore: () => Object.defineProperty(process, 'stdin', original)}
}

/** An unsigned JWT-shaped token with the claims a CIDX server puts in (`exp`/`iat` are float seconds). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({alg: 'HS256', typ: 'JWT'})}.${part(claims)}.unsigned`
}

export interface FakeAuthServer {
  url: string
  /** Every request body received, to prove what was (not) sent. */
  bodies: string[]
  close(): Promise<void>
}

/** A loopback server with `POST /auth/login` as the contract describes it (200 with tokens, 401 otherwise). */
export async function startFakeAuthServer(users: Record<string, {password: string; role: string}>): Promise<FakeAuthServer> {
  const bodies: string[] = []
  const reply = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, {'content-type': 'application/json', ...(status === 401 ? {'www-authenticate': 'Bearer'} : {})})
    response.end(JSON.stringify(body))
  }

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let raw = ''
    for await (const chunk of request) raw += chunk
    bodies.push(raw)
    if (request.method !== 'POST' || request.url !== '/auth/login') return reply(response, 404, {detail: 'Not Found'})
    const {username, password} = JSON.parse(raw) as {username: string; password: string}
    const user = users[username]
    if (!user || user.password !== password) return reply(response, 401, {detail: 'Invalid credentials'})
    const now = Date.now() / 1000
    reply(response, 200, {
      access_token: fakeJwt({username, role: user.role, exp: now + 600.5, iat: now, jti: randomUUID()}),
      token_type: 'bearer',
      user: {username, role: user.role, email: null},
      refresh_token: `refresh-${randomUUID()}`,
      refresh_token_expires_in: 604_800,
    })
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => reply(response, 500, {error: 'internal_server_error', message: 'test server failed'}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
