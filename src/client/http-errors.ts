/**
 * What went wrong with an exchange, as one of the typed errors (and so an exit code): an HTTP
 * status with the server's words, or a connection, timeout, TLS or redirect failure. Every text a
 * server or got hands over is redacted and shortened here before it reaches an error.
 */
import {HTTPError, RequestError, TimeoutError} from 'got'

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
import {redact} from '../support/redact.js'
import {errorMessageFromBody, retryAfterFromBody, shortenForPeople} from './error-body.js'
import {redirectProblem} from './redirects.js'

/** What an override is told besides the message: the server's URL, and whether the message is the server's own words. */
export interface StatusAnswer {
  server: string
  /** False when the body had no words (empty, an HTML page): the message is then `HTTP 404 Not Found`. */
  words: boolean
}

/** Per-status overrides of the default mapping (e.g. cancel's 400 is a conflict). */
export type StatusOverrides = Partial<Record<number, (message: string, answer: StatusAnswer) => CliError>>

/** What an error message names and must not name: the server, the limits in force, the secrets held. */
export interface FailureContext {
  connectMs: number
  responseMs: number
  secrets: string[]
  server: string
}

const TLS_PROBLEMS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is not valid for this host name',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the certificate chain',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is unknown (private CA?)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the server certificate (private CA?)',
}

const CONNECTION_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EAI_AGAIN: 'the host name could not be resolved',
  ENOTFOUND: 'the host name could not be resolved',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
}

export function looksLikeHtml(body: string, contentType: string | undefined): boolean {
  return /html/i.test(contentType ?? '') || /^\s*</.test(body)
}

/** A non-2xx answer: the server's own words (redacted, shortened) mapped by status, or by an override. */
export function errorOfStatus(
  error: HTTPError,
  overrides: StatusOverrides | undefined,
  context: FailureContext,
): CliError {
  const status = error.response.statusCode
  const raw = String(error.response.body ?? '')
  let body: unknown = raw
  try {
    body = raw.trim() === '' ? null : JSON.parse(raw)
  } catch {}

  const html = typeof body === 'string' && looksLikeHtml(raw, error.response.headers['content-type'])
  const serverWords = html ? null : errorMessageFromBody(body)
  const message = shortenForPeople(
    redact(serverWords ?? `HTTP ${status} ${error.response.statusMessage ?? ''}`.trim(), context.secrets),
  )
  const override = overrides?.[status]
  if (override) return override(message, {server: context.server, words: serverWords !== null})
  return mapStatus(status, message, {html, retryAfter: retryAfterOf(error, body), server: context.server})
}

/** The one mapping of HTTP statuses to typed errors (and so to exit codes). */
export function mapStatus(
  status: number,
  message: string,
  context: {html: boolean; retryAfter: null | number; server: string},
): CliError {
  const options = {status}
  if (context.html) {
    const what = `The server at ${context.server} answered ${status} with an HTML page instead of JSON`
    return status >= 500
      ? new ServerError(`${what} (a proxy or gateway problem?)`, options)
      : new ProtocolError(what, options)
  }

  switch (status) {
    case 400:
    case 422: {
      return new UsageError(message, options)
    }

    case 401: {
      return new AuthError(message, {...options, hint: 'Run `cidx login` again, or check CIDX_TOKEN.'})
    }

    case 403: {
      return new ForbiddenError(message, options)
    }

    case 404: {
      return new NotFoundError(message, options)
    }

    case 409: {
      return new ConflictError(message, options)
    }

    case 429: {
      return new ServerError(
        `${message}${context.retryAfter === null ? '' : ` (retry in ${context.retryAfter} s)`}`,
        options,
      )
    }
  }

  // A real server sometimes reports a duplicate job as a 500 with the 409 text.
  if (/already running for repository/i.test(message)) return new ConflictError(message, options)
  return new ServerError(status >= 500 ? `The server failed: ${message} (HTTP ${status})` : message, options)
}

/** A failure with no HTTP status to map: refused, reset, timed out, cut off, TLS, a refused redirect. */
export function errorOfFailure(error: unknown, context: FailureContext): CliError {
  // Our own errors, thrown in got's hooks or handed to it to abort a request, come back wrapped.
  if (error instanceof RequestError && error.cause instanceof CliError) return error.cause
  const {server} = context
  const cause = causeOf(error, context.secrets)
  if (error instanceof TimeoutError) return timeoutError(error, cause, context)
  const redirect = error instanceof RequestError ? redirectProblem(error, server, context.secrets) : null
  if (redirect) return redirect
  const code = (error as RequestError).code ?? ''
  if (speaksNoTls(code, cause)) return noTlsError(server, cause)
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
    return new NetworkError(
      `The answer from ${server} was cut off: the connection closed after status ${answered}, before the body was complete`,
      {
        cause,
        hint: 'Try again; if it keeps happening, a proxy or the server is dropping connections.',
      },
    )
  }

  const reason = CONNECTION_PROBLEMS[code] ?? cause.message
  return new NetworkError(`Cannot reach ${server}: ${reason}`, {
    cause,
    hint: 'Is the server running and the URL right? Check --server / CIDX_SERVER_URL and any proxy settings.',
  })
}

/**
 * An https:// URL for a port that answers plain HTTP: OpenSSL reads the HTTP answer as a TLS
 * record of an unknown version (EPROTO, "wrong version number", its reason for exactly that).
 */
function speaksNoTls(code: string, cause: Error): boolean {
  return code === 'EPROTO' && cause.message.includes('wrong version number')
}

function noTlsError(server: string, cause: Error): NetworkError {
  const plain = server.replace(/^https:/, 'http:')
  return new NetworkError(`The server at ${server} does not speak TLS on that port`, {
    cause,
    hint: `Try ${plain} (with --server or CIDX_SERVER_URL), or the port where it serves HTTPS.`,
  })
}

/**
 * An endpoint every CIDX server has (the listing, the login) answered 404, or something not in the
 * contract's shape: there is no CIDX server API at that URL (a wrong path or port, another web
 * server). Exit 5, as for a server that cannot be reached: the URL is what is wrong, not a job.
 * `request` is `GET /api/jobs` and the like; `answer` says what came back.
 */
export function notCidxApiError(server: string, request: string, answer: string, status?: number): NetworkError {
  const [method, path] = request.split(' ')
  return new NetworkError(`This is not a CIDX server API at ${server}: ${method} ${server}${path} answered ${answer}`, {
    hint: 'Check --server / CIDX_SERVER_URL: it is the address the CIDX API answers at, e.g. http://localhost:8000.',
    ...(status === undefined ? {} : {status}),
  })
}

/** A status override for an endpoint every CIDX server has: its 404 means there is no CIDX server API at that URL. */
export function notCidxApiOn404(request: string): NonNullable<StatusOverrides[number]> {
  return (message, {server, words}) => notCidxApiError(server, request, words ? `404: ${message}` : message, 404)
}

/** What our errors keep as their cause: got's error carries the request (Authorization header, login body). */
function causeOf(error: unknown, secrets: string[]): Error {
  const message = redact(error instanceof Error ? error.message : String(error), secrets)
  return Object.assign(new Error(message), {code: (error as {code?: unknown}).code})
}

/** A limit in milliseconds, as people read it. */
function seconds(ms: number): string {
  return `${ms / 1000} s`
}

/** What timed out, and the limit that it ran into. */
function timeoutError(error: TimeoutError, cause: Error, context: FailureContext): NetworkError {
  if (error.event === 'connect' || error.event === 'secureConnect' || error.event === 'lookup') {
    return new NetworkError(
      `Timed out talking to ${context.server}: no connection within ${seconds(context.connectMs)}`,
      {
        cause,
        hint: 'Set CIDX_CONNECT_TIMEOUT (seconds) to wait longer.',
      },
    )
  }

  const limit = seconds(context.responseMs)
  const status = answeredStatus(error)
  // Only the event stream has a socket timeout: on a request, the total `request` timeout comes first.
  const what =
    error.event === 'socket'
      ? `the event stream was silent for more than ${limit}`
      : status === undefined
        ? `no answer within ${limit}`
        : `the answer (HTTP ${status}) was still arriving after ${limit}`
  return new NetworkError(`Timed out talking to ${context.server}: ${what}`, {
    cause,
    hint: 'CIDX_REQUEST_TIMEOUT (seconds) bounds each request, retries included: set it higher to wait longer.',
  })
}

/**
 * The status of the answer the failed attempt got, if its headers arrived. got's `response` still
 * holds a redirect's answer while the request it led to waits: only the attempt's timings tell.
 */
function answeredStatus(error: RequestError): number | undefined {
  return error.timings?.response === undefined ? undefined : error.response?.statusCode
}

function retryAfterOf(error: HTTPError, body: unknown): null | number {
  const header = error.response.headers['retry-after']
  if (header) {
    const seconds = Number(header)
    if (Number.isFinite(seconds)) return seconds
    const date = Date.parse(header)
    if (!Number.isNaN(date)) return Math.max(0, Math.round((date - Date.now()) / 1000))
  }

  return retryAfterFromBody(body)
}
