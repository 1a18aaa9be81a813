/** What the client's tests share: the nock switch, loopback servers, tokens, token stores and a client for nock. */
import {expect} from 'chai'
import type {Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import nock from 'nock'

import type {Credentials, TokenSet, TokenStore} from '../../src/auth/credentials.js'
import type {ClientOptions} from '../../src/client/cidx-client.js'
import {JobsClient} from '../../src/client/jobs-client.js'
import {CliError} from '../../src/errors.js'
import {fakeJwt} from './fake-jwt.js'

// nock patches node:http on import; it is switched on only around the tests that use it.
nock.restore()

export const SERVER = 'http://cidx.test:8000'
export const JOB_ID = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
export const JOB_PATH = `/api/jobs/${JOB_ID}`
export const PASSWORD = 'pa55 word!'

/** Switches nock on for the enclosing describe, off after it; a test fails if it left a mocked request unmade. */
export function useNock(): void {
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
}

/** Real servers on loopback for the enclosing describe, each closed (connections and all) after its test. */
export function loopbackServers(): {listen(server: Server): Promise<string>} {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
  return {
    /** Starts `server` on a free port; its `host:port`. */
    async listen(server) {
      servers.push(server)
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return `127.0.0.1:${(server.address() as AddressInfo).port}`
    },
  }
}

/** A JWT that expires `seconds` from now (a float, as a real server writes it). */
export function tokenExpiringIn(seconds: number, claims: Record<string, unknown> = {}): string {
  return fakeJwt({username: 'alice', role: 'normal_user', iat: Date.now() / 1000, jti: Math.random().toString(36), ...claims, exp: Date.now() / 1000 + seconds})
}

export function tokenSet(accessToken: string, refreshToken?: string): TokenSet {
  const exp = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()).exp as number
  return {accessToken, accessTokenExpiresAt: Math.round(exp * 1000), ...(refreshToken ? {refreshToken} : {})}
}

/** A TokenStore in memory that records what the client saves. */
export function memoryStore(initial: TokenSet | null, options: {loadDelayMs?: number} = {}) {
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
export function client(credentials: Partial<Credentials> = {}, options: Partial<ClientOptions> = {}): JobsClient {
  return new JobsClient({
    env: {},
    credentials: {serverUrl: SERVER, source: 'env', ...credentials},
    retry: {baseDelayMs: 1},
    ...options,
  })
}

export function loginAnswer(accessToken: string, refreshToken?: string, role = 'normal_user') {
  return {access_token: accessToken, token_type: 'bearer', user: {username: 'alice', role}, ...(refreshToken ? {refresh_token: refreshToken, refresh_token_expires_in: 604_800} : {})}
}

/** A typed error class, whatever its constructor takes. */
export type ErrorClass = abstract new (...args: never[]) => CliError

export async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(CliError)
    return error as CliError
  }

  return expect.fail('expected a rejection')
}
