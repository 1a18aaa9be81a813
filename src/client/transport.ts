/**
 * The HTTP transport of a CIDX client: got set up once per client with its proxy, the total
 * deadline of one API call, retries of what is safe to repeat, the body cap, and typed errors
 * (http-errors.ts) for whatever goes wrong. It knows nothing of tokens: the caller hands one over.
 */

import type {ClientRequest, IncomingHttpHeaders} from 'node:http'

import got, {type Agents, type CancelableRequest, type Got, HTTPError, type Method, type Options} from 'got'

import {CliError, ProtocolError} from '../errors.js'
import {isRecord} from '../support/json.js'
import {
  errorOfFailure,
  errorOfStatus,
  type FailureContext,
  looksLikeHtml,
  mapStatus,
  type StatusOverrides,
} from './http-errors.js'
import {proxyAgentsFor} from './proxy.js'
import {guardRedirect, MAX_REDIRECTS} from './redirects.js'

export interface TransportOptions {
  /** Environment for proxy settings; defaults to process.env. */
  env?: NodeJS.ProcessEnv
  /**
   * Retries of idempotent requests: how many (default 2), the first backoff step (default 500 ms,
   * doubling, with jitter) and its cap (`maxDelayMs`, default 5 s); a Retry-After longer than
   * `maxRetryAfterMs` (default 30 s) is not waited for: the error says when to try again.
   */
  retry?: {baseDelayMs?: number; limit?: number; maxDelayMs?: number; maxRetryAfterMs?: number}
  /**
   * `connectMs` (default 10 s) bounds each connection attempt. `responseMs` (default 30 s) is the
   * whole budget of one API call: connecting, headers, body, retries and their backoff (a retry
   * that cannot start before it runs out is not made). The event stream, long-lived by design, has
   * no total: `responseMs` bounds its wait for headers and any silence on it.
   */
  timeouts?: {connectMs?: number; responseMs?: number}
  userAgent?: string
}

/** What the transport needs from the client that owns it: the secrets it holds now, and where debug lines go. */
export interface TransportOwner {
  /** Receives lines to redact and log. */
  log(line: string): void
  secrets(): string[]
}

export interface RequestOptions {
  /** Send no Authorization header (login, refresh). */
  anonymous?: boolean
  /** Error statuses whose JSON body is the answer (GET /health's 503 "unhealthy"), returned like a 2xx body. */
  answerStatuses?: readonly number[]
  /** Per-status overrides of the default error mapping (e.g. cancel's 400 is a conflict). */
  errors?: StatusOverrides
  /** Safe to repeat: retried on connection errors, 429 and 502/503/504. */
  idempotent?: boolean
  json?: unknown
  /** Receives the headers of a 2xx answer (the local server names its extensions in one). */
  onHeaders?: (headers: IncomingHttpHeaders) => void
  searchParams?: Record<string, number | string | undefined>
}

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

/** The got options for one request's retry policy. */
function retryPolicy(
  method: Method,
  idempotent: boolean,
): {errorCodes: string[]; methods: Method[]; statusCodes: number[]} {
  if (idempotent) return {errorCodes: CONNECTION_ERROR_CODES, methods: [method], statusCodes: RETRYABLE_STATUS}
  // Not safe to repeat once the server may have acted: only retry what never reached it.
  return {errorCodes: UNSENT_ERROR_CODES, methods: [method], statusCodes: []}
}

function cleanParams(params: RequestOptions['searchParams']): Record<string, number | string> | undefined {
  if (!params) return undefined
  const entries = Object.entries(params).filter(
    (entry): entry is [string, number | string] => entry[1] !== undefined && entry[1] !== '',
  )
  return entries.length > 0 ? Object.fromEntries(entries) : undefined
}

export class Transport {
  private httpPromise?: Promise<Got>

  constructor(
    private readonly serverUrl: string,
    private readonly options: TransportOptions,
    private readonly owner: TransportOwner,
  ) {}

  /** One HTTP exchange, with typed errors; the JSON body, or null for an empty one. */
  async exchange(method: Method, path: string, options: RequestOptions, token?: string): Promise<unknown> {
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
        retry: retryPolicy(method, options.idempotent ?? method === 'GET'),
        searchParams: cleanParams(options.searchParams),
        timeout: {request: budgetMs},
      })
      this.capBody(request)
      const response = await request
      this.owner.log(`${method} ${response.url} → ${response.statusCode} (${Date.now() - started} ms)`)
      options.onHeaders?.(response.headers)
      return this.parseBody(response.body, response.statusCode, response.headers['content-type'])
    } catch (error) {
      if (error instanceof HTTPError) {
        this.owner.log(`${method} ${url} → ${error.response.statusCode} (${Date.now() - started} ms)`)
        const answer = this.answerOfErrorStatus(error, options.answerStatuses)
        if (answer !== undefined) return answer
        throw errorOfStatus(error, options.errors, this.failureContext())
      }

      if (error instanceof CliError) throw error
      this.owner.log(`${method} ${url} failed: ${(error as Error).message}`)
      throw this.failure(error)
    }
  }

  /**
   * Opens a long-lived response (Server-Sent Events). Resolves once the server has answered 2xx;
   * any other status is the usual typed error.
   */
  async openStream(
    path: string,
    searchParams: RequestOptions['searchParams'],
    signal: AbortSignal,
    token: string,
  ): Promise<AsyncIterable<Buffer>> {
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
      stream.once('error', (error) => reject(this.failure(error)))
      stream.once('response', (response: {statusCode: number; statusMessage?: string}) => {
        this.owner.log(`GET ${url} → ${response.statusCode} (event stream)`)
        if (response.statusCode < 300) return resolve(this.readStream(stream, signal))
        stream.destroy()
        const message = `HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim()
        reject(mapStatus(response.statusCode, message, {html: false, retryAfter: null, server: this.serverUrl}))
      })
    })
  }

  /** The JSON object an error status carries when the caller takes that status as an answer; undefined otherwise. */
  private answerOfErrorStatus(error: HTTPError, answerStatuses: readonly number[] | undefined): unknown {
    if (!answerStatuses?.includes(error.response.statusCode)) return undefined
    try {
      const body: unknown = JSON.parse(String(error.response.body ?? ''))
      // Anything but an object (an HTML page of a proxy, an empty body) is the usual server error.
      return isRecord(body) ? body : undefined
    } catch {
      return undefined
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
      attempt?.destroy(
        new ProtocolError(
          `The answer from ${this.serverUrl} is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB, the most cidx reads: stopped reading it`,
        ),
      )
    })
  }

  private connectTimeoutMs(): number {
    return this.options.timeouts?.connectMs ?? 10_000
  }

  private async createHttp(): Promise<Got> {
    const connectMs = this.connectTimeoutMs()
    const responseMs = this.responseTimeoutMs()
    const baseDelayMs = this.options.retry?.baseDelayMs ?? 500
    const maxDelayMs = this.options.retry?.maxDelayMs ?? 5000
    const maxRetryAfterMs = this.options.retry?.maxRetryAfterMs ?? 30_000
    const agent: Agents | undefined = await proxyAgentsFor(this.serverUrl, this.options.env ?? process.env)
    if (agent) this.owner.log(`using a proxy for ${this.serverUrl}`)
    return got.extend({
      agent,
      headers: {accept: 'application/json', 'user-agent': this.options.userAgent ?? 'cidx-jobs'},
      hooks: {
        beforeRedirect: [
          (next, response) => {
            guardRedirect(next, response, this.owner.secrets())
            spendBudget(next)
          },
        ],
        beforeRetry: [
          (error, retryCount) => {
            this.owner.log(
              `retry ${retryCount} of ${error.options.method} ${error.options.url} after ${error.response?.statusCode ?? error.code}`,
            )
            spendBudget(error.options)
          },
        ],
      },
      maxRedirects: MAX_REDIRECTS,
      responseType: 'text',
      retry: {
        calculateDelay: ({attemptCount, computedValue, error, retryAfter}) => {
          if (computedValue === 0) return 0
          const delay = retryAfter
            ? Math.min(retryAfter, maxRetryAfterMs)
            : Math.min(baseDelayMs * 2 ** (attemptCount - 1) + Math.random() * baseDelayMs * 0.2, maxDelayMs)
          const left = budgetLeftMs(error.options)
          if (left === undefined || delay < left) return delay
          this.owner.log(
            `no retry of ${error.options.method} ${error.options.url}: the ${responseMs / 1000} s budget runs out before it could start`,
          )
          return 0
        },
        limit: this.options.retry?.limit ?? 2,
        maxRetryAfter: maxRetryAfterMs,
      },
      throwHttpErrors: true,
      timeout: {connect: connectMs, secureConnect: connectMs},
    })
  }

  private failure(error: unknown): CliError {
    return error instanceof CliError ? error : errorOfFailure(error, this.failureContext())
  }

  private failureContext(): FailureContext {
    return {
      connectMs: this.connectTimeoutMs(),
      responseMs: this.responseTimeoutMs(),
      secrets: this.owner.secrets(),
      server: this.serverUrl,
    }
  }

  private http(): Promise<Got> {
    this.httpPromise ??= this.createHttp()
    return this.httpPromise
  }

  private parseBody(body: string, status: number, contentType: string | undefined): unknown {
    if (body.trim() === '') return null
    try {
      return JSON.parse(body)
    } catch {
      if (looksLikeHtml(body, contentType)) {
        throw new ProtocolError(
          `The server at ${this.serverUrl} answered with an HTML page, not JSON (status ${status})`,
          {
            hint: 'Check that --server points at the CIDX API, not a web page or a proxy.',
            status,
          },
        )
      }

      throw new ProtocolError(`The server at ${this.serverUrl} sent a malformed JSON body (status ${status})`, {status})
    }
  }

  /** The stream's chunks until it ends: an abort ends it quietly, a broken connection is a NetworkError. */
  private async *readStream(stream: AsyncIterable<Buffer>, signal: AbortSignal): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield chunk
    } catch (error) {
      if (signal.aborted) return
      throw this.failure(error)
    }
  }

  private responseTimeoutMs(): number {
    return this.options.timeouts?.responseMs ?? 30_000
  }
}
