import type {Method} from 'got'

import type {Credentials} from '../auth/credentials.js'

import {jwtClaims} from '../auth/jwt.js'
import {redact} from '../support/redact.js'
import {AuthApi, type LoginOptions, type LoginResult} from './auth-api.js'
import {TokenRenewal} from './token-renewal.js'
import {type RequestOptions, Transport, type TransportOptions} from './transport.js'

export interface ClientOptions extends TransportOptions {
  credentials: Credentials
  /** Receives one redacted line per request, retry and token renewal (wired to DEBUG=cidx). */
  debug?: (line: string) => void
}

export interface CallerIdentity {
  role: string
  username: string
}

/**
 * The base client of a CIDX server, put together from its parts: the HTTP transport (deadline,
 * retries, body cap, proxies, typed errors), the token renewal (static, cached, refreshed, or
 * logged in again) and the auth endpoints. It owns the secrets they hold, so that every debug
 * line and error is redacted of all of them.
 */
export class CidxClient {
  readonly serverUrl: string
  private readonly auth: AuthApi
  private readonly credentials: Credentials
  private readonly debug?: (line: string) => void
  private readonly tokens: TokenRenewal
  private readonly transport: Transport

  constructor(options: ClientOptions) {
    this.credentials = options.credentials
    this.serverUrl = options.credentials.serverUrl.replace(/\/+$/, '')
    this.debug = options.debug
    const log = this.log.bind(this)
    this.transport = new Transport(this.serverUrl, options, {log, secrets: () => this.secrets()})
    this.auth = new AuthApi(this.transport, {fallbackUsername: this.credentials.username, log})
    this.tokens = new TokenRenewal(this.credentials, {
      log,
      logIn: async (username, password) => (await this.auth.logIn(username, password)).tokens,
      refresh: (refreshToken) => this.auth.refresh(refreshToken),
    })
  }

  protected log(line: string): void {
    this.debug?.(redact(line, this.secrets()))
  }

  /** POST /auth/login (and /auth/mfa/verify when the account asks for a one-time code). */
  login(username: string, password: string, options: LoginOptions = {}): Promise<LoginResult> {
    return this.auth.logIn(username, password, options)
  }

  /** A long-lived response (Server-Sent Events) with the caller's token, renewed once on a 401. */
  protected openEventStream(
    path: string,
    searchParams: RequestOptions['searchParams'],
    signal: AbortSignal,
  ): Promise<AsyncIterable<Buffer>> {
    return this.tokens.withToken(path, (token) => this.transport.openStream(path, searchParams, signal, token))
  }

  /** A request to the API with the caller's token (renewed and repeated once on a 401), or without one when `anonymous`. */
  protected requestJson(method: Method, path: string, options: RequestOptions = {}): Promise<unknown> {
    if (options.anonymous) return this.transport.exchange(method, path, options)
    return this.tokens.withToken(path, (token) => this.transport.exchange(method, path, options, token))
  }

  /** Every secret this client holds, for redaction. */
  protected secrets(): string[] {
    const {password, staticToken} = this.credentials
    return [password, staticToken, ...this.tokens.secrets(), ...this.auth.secrets()].filter(
      (secret): secret is string => Boolean(secret),
    )
  }

  /** Who the server takes us for, read from the token's claims (role `unknown` for API keys). */
  async whoami(): Promise<CallerIdentity> {
    const token = await this.tokens.accessToken()
    const claims = jwtClaims(token)
    const username = claims?.username ?? claims?.sub ?? this.credentials.username
    return {
      role: typeof claims?.role === 'string' ? claims.role : 'unknown',
      username: typeof username === 'string' ? username : 'unknown',
    }
  }
}
