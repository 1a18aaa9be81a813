import got, {type Agents, type CancelableRequest, type Got, HTTPError, type Method, type Options, RequestError, TimeoutError} from 'got'
import type {ClientRequest} from 'node:http'

import type {Credentials, TokenSet} from '../auth/credentials.js'
import {errorMessageFromBody, retryAfterFromBody, shortenForPeople} from './error-body.js'
import {
  AuthError,
  CliError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  ProtocolError,
  ServerError,
  UsageError,
} from '../errors.js'
import {jwtClaims} from '../auth/identity.js'
import {isRecord} from './normalize.js'
import {proxyAgentsFor} from './proxy.js'
import {redact} from './redact.js'
import {guardRedirect, MAX_REDIRECTS, redirectProblem} from './redirects.js'

export interface ClientOptions {
  credentials: Credentials
  /**
   * `connectMs` (default 10 s) bounds each connection attempt. `responseMs` (default 30 s) is the
   * whole budget of one API call: connecting, headers, body, retries and their backoff (a retry
   * that cannot start before it runs out is not made). The event stream, long-lived by design, has
   * no total: `responseMs` bounds its wait for headers and any silence on it.
   */
  timeouts?: {connectMs?: number; responseMs?: number}
  /**
   * Retries of idempotent requests: how many (default 2), the first backoff step (default 500 ms,
   * doubling, with jitter) and its cap (`maxDelayMs`, default 5 s); a Retry-After longer than
   * `maxRetryAfterMs` (default 30 s) is not waited for: the error says when to try again.
   */
  retry?: {limit?: number; baseDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number}
  /** Receives one redacted line per request, retry and token renewal (wired to DEBUG=cidx). */
  debug?: (line: string) => void
  userAgent?: string
  /** Environment for proxy settings; defaults to process.env. */
  env?: NodeJS.ProcessEnv
}

export interface RequestOptions {
  searchParams?: Record<string, string | number | undefined>
  json?: unknown
  /** Safe to repeat: retried on connection errors, 429 and 502/503/504. */
  idempotent?: boolean
  /** Send no Authorization header (login, refresh). */
  anonymous?: boolean
  /** Per-status overrides of the default error mapping (e.g. cancel's 400 is a conflict). */
  errors?: Partial<Record<number, (message: string) => CliError>>
}

export interface LoginResult {
  tokens: TokenSet
  user: {username: string; role: string}
}

export interface CallerIdentity {
  username: string
  role: string
}

/** Tokens are renewed this long before they expire, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 30_000

const RETRYABLE_STATUS = [429, 502, 503, 504]
const UNSENT_ERROR_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']
const CONNECTION_ERROR_CODES = [...UNSENT_ERROR_CODES, 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE']

/**
 * The most of one answer the client reads. A job listing is at most 100 jobs (the API clamps
 * `limit`; the CLI asks for 50) and a job, free-form `result` included, is a few KiB: 8 MiB leaves
 * over 80 KiB a job, beyond any real answer, and keeps a broken or hostile server from making the
 * CLI hold hundreds of MB.
 */
const MAX_BODY_BYTES = 8 * 1024 * 1024

/** What one API call carries in got's `context`, so that its hooks see it on every retry and redirect. */
interface CallContext {
  /** When the call's budget (`responseMs`) runs out, in ms since the epoch; none for the event stream. */
  deadline?: number
}

/** What is left of the call's budget (ms, possibly ≤ 0); undefined for a call without one. */
function budgetLeftMs(options: Pick<Options, 'context'>): number | undefined {
  const {deadline} = options.context as CallContext
  return deadline === undefined ? undefined : deadline - Date.now()
}

/** Each attempt and each redirect gets only what is left of the budget, as got's total `request` timeout. */
function spendBudget(options: Pick<Options, 'context' | 'timeout'>): void {
  const left = budgetLeftMs(options)
  if (left !== undefined) options.timeout.request = Math.max(1, left)
}

const TLS_PROBLEMS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is not valid for this host name',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the certificate chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is unknown (private CA?)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the server certificate (private CA?)',
}

function expiryOf(accessToken: string): number | null {
  const exp = jwtClaims(accessToken)?.exp
  return typeof exp === 'number' && Number.isFinite(exp) ? Math.round(exp * 1000) : null
}

function usable(tokens: TokenSet | null, now = Date.now()): tokens is TokenSet {
  if (!tokens?.accessToken) return false
  return tokens.accessTokenExpiresAt === null || tokens.accessTokenExpiresAt - EXPIRY_MARGIN_MS > now
}

function looksLikeHtml(body: string, contentType: string | undefined): boolean {
  return /html/i.test(contentType ?? '') || /^\s*</.test(body)
}

/**
 * The base HTTP client of a CIDX server: it owns authentication (static tokens, cached tokens,
 * rotating refresh, log-in again with what it holds, one renewal on a 401), retries of idempotent
 * requests, timeouts, proxies, the three error-body shapes and the mapping to typed errors.
 */
export class CidxClient {
  readonly serverUrl: string
  protected readonly credentials: Credentials
  private readonly options: ClientOptions
  private httpPromise?: Promise<Got>
  private tokens: TokenSet | null = null
  /** Loading the cached tokens, once: requests that start together all wait for it. */
  private tokensLoading?: Promise<void>
  private renewing?: Promise<TokenSet>
  /** Passwords handed to login() directly (not through credentials), redacted like the others. */
  private readonly loginSecrets = new Set<string>()

  constructor(options: ClientOptions) {
    this.options = options
    this.credentials = options.credentials
    this.serverUrl = options.credentials.serverUrl.replace(/\/+$/, '')
  }

  /** Every secret this client holds, for redaction. */
  protected secrets(): string[] {
    const {password, staticToken} = this.credentials
    return [password, staticToken, this.tokens?.accessToken, this.tokens?.refreshToken, ...this.loginSecrets].filter(
      (secret): secret is string => Boolean(secret),
    )
  }

  protected log(line: string): void {
    this.options.debug?.(redact(line, this.secrets()))
  }

  private http(): Promise<Got> {
    this.httpPromise ??= this.createHttp()
    return this.httpPromise
  }

  private connectTimeoutMs(): number {
    return this.options.timeouts?.connectMs ?? 10_000
  }

  private responseTimeoutMs(): number {
    return this.options.timeouts?.responseMs ?? 30_000
  }

  private async createHttp(): Promise<Got> {
    const connectMs = this.connectTimeoutMs()
    const responseMs = this.responseTimeoutMs()
    const baseDelayMs = this.options.retry?.baseDelayMs ?? 500
    const maxDelayMs = this.options.retry?.maxDelayMs ?? 5000
    const maxRetryAfterMs = this.options.retry?.maxRetryAfterMs ?? 30_000
    const agent: Agents | undefined = await proxyAgentsFor(this.serverUrl, this.options.env ?? process.env)
    if (agent) this.log(`using a proxy for ${this.serverUrl}`)
    return got.extend({
      agent,
      headers: {accept: 'application/json', 'user-agent': this.options.userAgent ?? 'cidx-jobs'},
      hooks: {
        beforeRedirect: [
          (next, response) => {
            guardRedirect(next, response, this.secrets())
            spendBudget(next)
          },
        ],
        beforeRetry: [
          (error, retryCount) => {
            this.log(`retry ${retryCount} of ${error.options.method} ${error.options.url} after ${error.response?.statusCode ?? error.code}`)
            spendBudget(error.options)
          },
        ],
      },
      maxRedirects: MAX_REDIRECTS,
      responseType: 'text',
      retry: {
        calculateDelay: ({attemptCount, computedValue, error, retryAfter}) => {
          if (computedValue === 0) return 0
          const delay = retryAfter ? Math.min(retryAfter, maxRetryAfterMs) : Math.min(baseDelayMs * 2 ** (attemptCount - 1) + Math.random() * baseDelayMs * 0.2, maxDelayMs)
          const left = budgetLeftMs(error.options)
          if (left === undefined || delay < left) return delay
          this.log(`no retry of ${error.options.method} ${error.options.url}: the ${responseMs / 1000} s budget runs out before it could start`)
          return 0
        },
        limit: this.options.retry?.limit ?? 2,
        maxRetryAfter: maxRetryAfterMs,
      },
      throwHttpErrors: true,
      timeout: {connect: connectMs, secureConnect: connectMs},
    })
  }

  /** The got options for one request's retry policy. */
  private retryPolicy(method: Method, idempotent: boolean): {methods: Method[]; statusCodes: number[]; errorCodes: string[]} {
    if (idempotent) return {errorCodes: CONNECTION_ERROR_CODES, methods: [method], statusCodes: RETRYABLE_STATUS}
    // Not safe to repeat once the server may have acted: only retry what never reached it.
    return {errorCodes: UNSENT_ERROR_CODES, methods: [method], statusCodes: []}
  }

  /** One HTTP exchange, with typed errors; the JSON body, or null for an empty one. */
  private async exchange(method: Method, path: string, options: RequestOptions, token?: string): Promise<unknown> {
    const http = await this.http()
    const url = `${this.serverUrl}${path}`
    const started = Date.now()
    const budgetMs = this.responseTimeoutMs()
    try {
      const request = http(url, {
        context: {deadline: started + budgetMs} satisfies CallContext,
        headers: token ? {authorization: `Bearer ${token}`} : {},
        json: options.json,
        method,
        retry: this.retryPolicy(method, options.idempotent ?? method === 'GET'),
        searchParams: cleanParams(options.searchParams),
        timeout: {request: budgetMs},
      })
      this.capBody(request)
      const response = await request
      this.log(`${method} ${response.url} → ${response.statusCode} (${Date.now() - started} ms)`)
      return this.parseBody(response.body, response.statusCode, response.headers['content-type'])
    } catch (error) {
      if (error instanceof HTTPError) {
        this.log(`${method} ${url} → ${error.response.statusCode} (${Date.now() - started} ms)`)
        throw this.httpError(error, options)
      }

      if (error instanceof CliError) throw error
      this.log(`${method} ${url} failed: ${(error as Error).message}`)
      throw this.networkError(error)
    }
  }

  /** Stops reading an answer (success or error) at MAX_BODY_BYTES: no download of the rest, one clear error. */
  private capBody(request: CancelableRequest): void {
    let attempt: ClientRequest | undefined
    request.on('request', (sent: ClientRequest) => {
      attempt = sent
    })
    request.on('downloadProgress', ({total, transferred}) => {
      // `total` is the declared Content-Length: an answer that announces more is refused before its body.
      if (Math.max(transferred, total ?? 0) <= MAX_BODY_BYTES) return
      attempt?.destroy(new ProtocolError(`The answer from ${this.serverUrl} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most cidx reads: stopped reading it`))
    })
  }

  private parseBody(body: string, status: number, contentType: string | undefined): unknown {
    if (body.trim() === '') return null
    try {
      return JSON.parse(body)
    } catch {
      if (looksLikeHtml(body, contentType)) {
        throw new ProtocolError(`The server at ${this.serverUrl} answered with an HTML page, not JSON (status ${status})`, {
          hint: 'Check that --server points at the CIDX API, not a web page or a proxy.',
          status,
        })
      }

      throw new ProtocolError(`The server at ${this.serverUrl} sent a malformed JSON body (status ${status})`, {status})
    }
  }

  private httpError(error: HTTPError, options: RequestOptions): CliError {
    const status = error.response.statusCode
    const raw = String(error.response.body ?? '')
    let body: unknown = raw
    try {
      body = raw.trim() === '' ? null : JSON.parse(raw)
    } catch {}

    const html = typeof body === 'string' && looksLikeHtml(raw, error.response.headers['content-type'])
    const serverWords = html ? null : errorMessageFromBody(body)
    const message = shortenForPeople(redact(serverWords ?? `HTTP ${status} ${error.response.statusMessage ?? ''}`.trim(), this.secrets()))
    const override = options.errors?.[status]
    if (override) return override(message)
    return mapStatus(status, message, {html, retryAfter: retryAfterOf(error, body), server: this.serverUrl})
  }

  /** What our errors keep as their cause: got's error carries the request (Authorization header, login body). */
  private causeOf(error: unknown): Error {
    const message = redact(error instanceof Error ? error.message : String(error), this.secrets())
    return Object.assign(new Error(message), {code: (error as {code?: unknown}).code})
  }

  /** What timed out, and the limit that it ran into. */
  private timeoutError(error: TimeoutError, cause: Error): NetworkError {
    const seconds = (ms: number) => `${ms / 1000} s`
    if (error.event === 'connect' || error.event === 'secureConnect' || error.event === 'lookup') {
      return new NetworkError(`Timed out talking to ${this.serverUrl}: no connection within ${seconds(this.connectTimeoutMs())}`, {
        cause,
        hint: 'Set CIDX_CONNECT_TIMEOUT (seconds) to wait longer.',
      })
    }

    const limit = seconds(this.responseTimeoutMs())
    const status = answeredStatus(error)
    // Only the event stream has a socket timeout: on a request, the total `request` timeout comes first.
    const what =
      error.event === 'socket'
        ? `the event stream was silent for more than ${limit}`
        : status === undefined
          ? `no answer within ${limit}`
          : `the answer (HTTP ${status}) was still arriving after ${limit}`
    return new NetworkError(`Timed out talking to ${this.serverUrl}: ${what}`, {
      cause,
      hint: 'CIDX_REQUEST_TIMEOUT (seconds) bounds each request, retries included: set it higher to wait longer.',
    })
  }

  private networkError(error: unknown): CliError {
    // Our own errors, thrown in got's hooks or handed to it to abort a request, come back wrapped.
    if (error instanceof RequestError && error.cause instanceof CliError) return error.cause
    const server = this.serverUrl
    const cause = this.causeOf(error)
    if (error instanceof TimeoutError) return this.timeoutError(error, cause)
    const redirect = error instanceof RequestError ? redirectProblem(error, server, this.secrets()) : null
    if (redirect) return redirect
    const code = (error as RequestError).code ?? ''
    if (TLS_PROBLEMS[code] || /certificate|TLS|SSL/i.test(cause.message)) {
      const problem = TLS_PROBLEMS[code] ?? cause.message
      return new NetworkError(`TLS error talking to ${server}: ${problem} (${code || 'TLS'})`, {
        cause,
        hint: 'For a server with a private CA, point NODE_EXTRA_CA_CERTS at the CA certificate file.',
      })
    }

    // Headers arrived, then the connection closed before the body was complete.
    const answered = error instanceof RequestError ? answeredStatus(error) : undefined
    if (answered !== undefined) {
      return new NetworkError(`The answer from ${server} was cut off: the connection closed after status ${answered}, before the body was complete`, {
        cause,
        hint: 'Try again; if it keeps happening, a proxy or the server is dropping connections.',
      })
    }

    const what: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ECONNRESET: 'the connection was reset',
      EAI_AGAIN: 'the host name could not be resolved',
      ENOTFOUND: 'the host name could not be resolved',
      EHOSTUNREACH: 'the host is unreachable',
      ENETUNREACH: 'the network is unreachable',
    }
    const reason = what[code] ?? cause.message
    return new NetworkError(`Cannot reach ${server}: ${reason}`, {
      cause,
      hint: 'Is the server running and the URL right? Check --server / CIDX_SERVER_URL and any proxy settings.',
    })
  }

  /** A request to the API with the caller's token; on a 401 the token is renewed once and the request repeated once. */
  protected async requestJson(method: Method, path: string, options: RequestOptions = {}): Promise<unknown> {
    if (options.anonymous) return this.exchange(method, path, options)
    const token = await this.accessToken()
    try {
      return await this.exchange(method, path, options, token)
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 401 || !this.canRenew()) throw error
      this.log(`401 from ${path}: renewing the access token once`)
      const renewed = await this.renewAfterRejection(token)
      return this.exchange(method, path, options, renewed)
    }
  }

  /**
   * Opens a long-lived response (Server-Sent Events) with the caller's token, renewing it once on
   * a 401. Resolves once the server has answered 2xx; any other status is the usual typed error.
   */
  protected async openEventStream(path: string, searchParams: RequestOptions['searchParams'], signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
    const token = await this.accessToken()
    try {
      return await this.openStreamWith(path, searchParams, signal, token)
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 401 || !this.canRenew()) throw error
      return this.openStreamWith(path, searchParams, signal, await this.renewAfterRejection(token))
    }
  }

  private async openStreamWith(path: string, searchParams: RequestOptions['searchParams'], signal: AbortSignal, token: string): Promise<AsyncIterable<Buffer>> {
    const http = await this.http()
    const url = `${this.serverUrl}${path}`
    const stallMs = this.responseTimeoutMs()
    const stream = http.stream(url, {
      headers: {accept: 'text/event-stream', authorization: `Bearer ${token}`},
      retry: {limit: 0},
      searchParams: cleanParams(searchParams),
      signal,
      throwHttpErrors: false,
      // Long-lived by design: no total, but a bound on the wait for headers and on any silence
      // (the local server sends a heartbeat every 15 s).
      timeout: {response: stallMs, socket: stallMs},
    })
    return new Promise((resolve, reject) => {
      stream.once('error', (error) => reject(error instanceof CliError ? error : this.networkError(error)))
      stream.once('response', (response: {statusCode: number; statusMessage?: string}) => {
        this.log(`GET ${url} → ${response.statusCode} (event stream)`)
        if (response.statusCode < 300) return resolve(this.readStream(stream, signal))
        stream.destroy()
        const message = `HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim()
        reject(mapStatus(response.statusCode, message, {html: false, retryAfter: null, server: this.serverUrl}))
      })
    })
  }

  /** The stream's chunks until it ends: an abort ends it quietly, a broken connection is a NetworkError. */
  private async *readStream(stream: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield chunk
    } catch (error) {
      if (signal.aborted) return
      throw error instanceof CliError ? error : this.networkError(error)
    }
  }

  private canRenew(): boolean {
    const {password, staticToken, username} = this.credentials
    if (staticToken) return false
    return Boolean(this.tokens?.refreshToken || (username && password))
  }

  /** The access token to send now: static, cached and still valid, or freshly obtained. */
  protected async accessToken(): Promise<string> {
    if (this.credentials.staticToken) return this.credentials.staticToken
    // Without waiting here, a second request started during the load would renew without the
    // cached refresh token (or fail as "not logged in").
    this.tokensLoading ??= this.loadTokens()
    await this.tokensLoading
    if (usable(this.tokens)) return this.tokens.accessToken
    return (await this.renew()).accessToken
  }

  private async loadTokens(): Promise<void> {
    this.tokens = await this.storedTokens()
  }

  /** What the store holds now; an unreadable store holds nothing. */
  private async storedTokens(): Promise<TokenSet | null> {
    return (await this.credentials.tokenStore?.load().catch(() => null)) ?? null
  }

  /** A 401 for `rejected`: renew unless another request already did. */
  private async renewAfterRejection(rejected: string): Promise<string> {
    if (this.tokens && this.tokens.accessToken !== rejected && usable(this.tokens)) return this.tokens.accessToken
    if (this.tokens) this.tokens = {...this.tokens, accessTokenExpiresAt: 0}
    return (await this.renew()).accessToken
  }

  /** One renewal at a time: refresh tokens rotate, and a second concurrent refresh would look like a replay. */
  private renew(): Promise<TokenSet> {
    this.renewing ??= this.obtainTokens().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  /** Renews, holding the store's lock when it has one (see TokenStore.exclusive). */
  private async obtainTokens(): Promise<TokenSet> {
    const store = this.credentials.tokenStore
    if (!store?.exclusive) return this.refreshOrLogIn()
    return store.exclusive(async () => (await this.renewedElsewhere()) ?? this.refreshOrLogIn(), (line) => this.log(line))
  }

  /**
   * Tokens another process stored while this one waited for the lock: a different access token
   * that is still valid. Then there is nothing to renew (and this process's refresh token is spent).
   */
  private async renewedElsewhere(): Promise<TokenSet | null> {
    const stored = await this.storedTokens()
    if (!stored || stored.accessToken === this.tokens?.accessToken || !usable(stored)) {
      // A refresh token rotated by another process is the one to present now.
      if (stored?.refreshToken && this.tokens) this.tokens = {...this.tokens, refreshToken: stored.refreshToken}
      return null
    }

    this.log('the session was renewed by another cidx process; using its tokens')
    this.tokens = stored
    return stored
  }

  private async refreshOrLogIn(): Promise<TokenSet> {
    const refreshToken = this.tokens?.refreshToken
    const {password, username} = this.credentials
    let refreshFailure: CliError | undefined
    if (refreshToken) {
      try {
        return await this.store(await this.refresh(refreshToken))
      } catch (error) {
        if (!(error instanceof AuthError)) throw error
        refreshFailure = error
        this.log(`refresh refused (${error.message}); ${username && password ? 'logging in again' : 'giving up'}`)
      }
    }

    if (username && password) return this.store((await this.login(username, password)).tokens)
    throw new AuthError(refreshFailure ? `Your session has expired: ${refreshFailure.message}` : 'Your session has expired, or you are not logged in', {
      hint: 'Run `cidx login` again, or set CIDX_TOKEN / CIDX_USERNAME and CIDX_PASSWORD.',
      status: 401,
    })
  }

  private async store(tokens: TokenSet): Promise<TokenSet> {
    this.tokens = tokens
    try {
      await this.credentials.tokenStore?.save(tokens)
    } catch (error) {
      this.log(`could not cache the access token: ${(error as Error).message}`)
    }

    return tokens
  }

  private tokensFrom(body: unknown, what: string): {tokens: TokenSet; user: {username: string; role: string}} {
    if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ProtocolError(`The server's ${what} answer has no access token`)
    }

    const claims = jwtClaims(body.access_token)
    const user = isRecord(body.user) ? body.user : {}
    const username = String(user.username ?? claims?.username ?? this.credentials.username ?? 'unknown')
    const role = String(user.role ?? claims?.role ?? 'unknown')
    return {
      tokens: {
        accessToken: body.access_token,
        accessTokenExpiresAt: expiryOf(body.access_token),
        ...(typeof body.refresh_token === 'string' && body.refresh_token !== '' ? {refreshToken: body.refresh_token} : {}),
      },
      user: {role, username},
    }
  }

  private async refresh(refreshToken: string): Promise<TokenSet> {
    this.log('refreshing the access token')
    const body = await this.exchange('POST', '/api/auth/refresh', {
      anonymous: true,
      errors: {422: (message) => new AuthError(`Refresh refused: ${message}`, {status: 401})},
      json: {refresh_token: refreshToken},
    })
    return this.tokensFrom(body, 'refresh').tokens
  }

  /** POST /auth/login (and /auth/mfa/verify when the account asks for a one-time code). */
  async login(username: string, password: string, options: {totp?: string | (() => Promise<string>)} = {}): Promise<LoginResult> {
    this.loginSecrets.add(password)
    const loginErrors: RequestOptions['errors'] = {
      401: (message) => new AuthError(message, {hint: 'Check the username and password.', status: 401}),
      403: (message) => new AuthError(message, {status: 403}),
      422: (message) => new UsageError(message),
    }
    let body = await this.exchange('POST', '/auth/login', {anonymous: true, errors: loginErrors, json: {password, username}})
    if (isRecord(body) && body.mfa_required === true) {
      const code = typeof options.totp === 'function' ? await options.totp() : options.totp
      if (!code) throw new AuthError('This account needs a one-time code', {hint: 'Pass it with --totp CODE.'})
      const mfaToken = typeof body.mfa_token === 'string' ? body.mfa_token : ''
      for (const secret of [mfaToken, code]) this.loginSecrets.add(secret)
      body = await this.exchange('POST', '/auth/mfa/verify', {
        anonymous: true,
        errors: {...loginErrors, 401: (message) => new AuthError(message, {hint: 'Check the one-time code (it changes every 30 s).', status: 401})},
        json: {mfa_token: body.mfa_token, totp_code: code},
      })
    }

    return this.tokensFrom(body, 'login')
  }

  /** Who the server takes us for, read from the token's claims (role `unknown` for API keys). */
  async whoami(): Promise<CallerIdentity> {
    const token = await this.accessToken()
    const claims = jwtClaims(token)
    const username = claims?.username ?? claims?.sub ?? this.credentials.username
    return {role: typeof claims?.role === 'string' ? claims.role : 'unknown', username: typeof username === 'string' ? username : 'unknown'}
  }
}

/**
 * The status of the answer the failed attempt got, if its headers arrived. got's `response` still
 * holds a redirect's answer while the request it led to waits: only the attempt's timings tell.
 */
function answeredStatus(error: RequestError): number | undefined {
  return error.timings?.response === undefined ? undefined : error.response?.statusCode
}

function cleanParams(params: RequestOptions['searchParams']): Record<string, string | number> | undefined {
  if (!params) return undefined
  const entries = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '')
  return entries.length > 0 ? Object.fromEntries(entries) : undefined
}

function retryAfterOf(error: HTTPError, body: unknown): number | null {
  const header = error.response.headers['retry-after']
  if (header) {
    const seconds = Number(header)
    if (Number.isFinite(seconds)) return seconds
    const date = Date.parse(header)
    if (!Number.isNaN(date)) return Math.max(0, Math.round((date - Date.now()) / 1000))
  }

  return retryAfterFromBody(body)
}

/** The one mapping of HTTP statuses to typed errors (and so to exit codes). */
export function mapStatus(status: number, message: string, context: {html: boolean; retryAfter: number | null; server: string}): CliError {
  const options = {status}
  if (context.html) {
    const what = `The server at ${context.server} answered ${status} with an HTML page instead of JSON`
    return status >= 500 ? new ServerError(`${what} (a proxy or gateway problem?)`, options) : new ProtocolError(what, options)
  }

  switch (status) {
    case 400:
    case 422:
      return new UsageError(message, options)
    case 401:
      return new AuthError(message, {...options, hint: 'Run `cidx login` again, or check CIDX_TOKEN.'})
    case 403:
      return new ForbiddenError(message, options)
    case 404:
      return new NotFoundError(message, options)
    case 409:
      return new ConflictError(message, options)
    case 429:
      return new ServerError(`${message}${context.retryAfter === null ? '' : ` (retry in ${context.retryAfter} s)`}`, options)
  }

  // A real server sometimes reports a duplicate job as a 500 with the 409 text.
  if (/already running for repository/i.test(message)) return new ConflictError(message, options)
  return new ServerError(status >= 500 ? `The server failed: ${message} (HTTP ${status})` : message, options)
}
