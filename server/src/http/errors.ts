import type {FastifyError, FastifyReply, FastifyRequest} from 'fastify'
import type {Socket} from 'node:net'

import {randomUUID} from 'node:crypto'
import {STATUS_CODES} from 'node:http'

import {storageFault, type StorageFault} from '../db/storage-errors.js'
import {isoZ} from '../time.js'
import {jsonInvalidItem, type ValidationItem, validationItemsFromAjv} from './validation.js'

/** A handler error answered as `{"detail": ...}` (plus `extra` fields) with its status, like FastAPI's HTTPException. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
    readonly extra: Record<string, unknown> = {},
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${statusCode}`)
  }
}

/** Input the JSON schemas cannot express (a date, an alias rule), reported in the 422 envelope. */
export class RequestValidationError extends Error {
  constructor(readonly items: ValidationItem[]) {
    super('Request validation failed')
  }
}

export function unauthorized(detail: string): HttpError {
  return new HttpError(401, detail, {'www-authenticate': 'Bearer'})
}

/** The contract's admission-control answer: 429 `{"detail", "retry_after_seconds"}` with `Retry-After`. */
export function atCapacity(detail: string, retryAfterSeconds: number): HttpError {
  return new HttpError(
    429,
    detail,
    {'retry-after': String(retryAfterSeconds)},
    {retry_after_seconds: retryAfterSeconds},
  )
}

export function validationEnvelope(items: ValidationItem[]): Record<string, unknown> {
  return {
    error: 'validation_error',
    message: 'Request validation failed. Please check the request and try again.',
    detail: items,
    correlation_id: randomUUID(),
    timestamp: isoZ(),
    details: {
      field_errors: items.map((item) => ({
        field: item.loc.join('.'),
        message: item.msg,
        rejected_value: item.input,
        error_type: item.type,
      })),
      error_count: items.length,
    },
  }
}

/** The 500 body: never a `detail`, never a stack, only an id to find the log line. */
function internalErrorBody(correlationId: string): Record<string, unknown> {
  return {
    error: 'internal_server_error',
    message: 'An internal server error occurred. Please try again later or contact support with the correlation id.',
    correlation_id: correlationId,
    timestamp: isoZ(),
  }
}

/** Busy locks clear in moments; a full or failing disk takes longer (a retry costs the server only a statfs). */
const STORAGE_RETRY_AFTER_SECONDS: Record<StorageFault, number> = {busy: 1, full: 5, io: 5}
const STORAGE_UNAVAILABLE_MESSAGES: Record<StorageFault, string> = {
  busy: 'The service is temporarily unavailable. Please retry shortly.',
  full: "The server's storage is full. Please retry later.",
  io: "The server's storage is failing. Please retry later.",
}

/** The contract's 503 for a transient storage error: the body says what, never how (no paths, no SQL). */
function storageUnavailable(reply: FastifyReply, fault: StorageFault, correlationId: string): void {
  const retryAfter = STORAGE_RETRY_AFTER_SECONDS[fault]
  void reply.code(503).header('retry-after', String(retryAfter)).send({
    error: 'service_unavailable',
    message: STORAGE_UNAVAILABLE_MESSAGES[fault],
    correlation_id: correlationId,
    timestamp: isoZ(),
    retry_after: retryAfter,
  })
}

/** Fastify's own 400 for a body that is not JSON becomes FastAPI's 422 `json_invalid`. */
function bodyParseItems(error: FastifyError): null | ValidationItem[] {
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return [{loc: ['body'], msg: 'Field required', type: 'missing', input: null}]
  }

  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return [jsonInvalidItem('Invalid JSON')]
  return null
}

export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof HttpError) {
    void reply
      .code(error.statusCode)
      .headers(error.headers)
      .send({detail: error.detail, ...error.extra})
    return
  }

  if (error instanceof RequestValidationError) {
    void reply.code(422).send(validationEnvelope(error.items))
    return
  }

  if (error.validation) {
    void reply
      .code(422)
      .send(validationEnvelope(validationItemsFromAjv(error.validation, error.validationContext, request)))
    return
  }

  const parseItems = bodyParseItems(error)
  if (parseItems) {
    void reply.code(422).send(validationEnvelope(parseItems))
    return
  }

  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    void reply.code(error.statusCode).send({detail: error.message})
    return
  }

  const correlationId = randomUUID()
  const fault = storageFault(error)
  if (fault) {
    request.log.warn({correlationId, code: (error as {code?: string}).code, fault}, 'storage unavailable')
    storageUnavailable(reply, fault, correlationId)
    return
  }

  request.log.error({err: error, correlationId}, 'unhandled error')
  void reply.code(500).send(internalErrorBody(correlationId))
}

/** What Fastify's errors before routing mean, said without echoing the URL they are about. */
const FRAMEWORK_ERROR_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'Invalid URL: malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'URI Too Long: a path segment is longer than this server accepts',
}

/** Errors Fastify raises before a route is found, answered as `{"detail": ...}` instead of Fastify's own shape. */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const detail = FRAMEWORK_ERROR_DETAILS[error.code]
  if (detail === undefined) handleError(error, request, reply)
  else void reply.code(error.statusCode ?? 400).send({detail})
}

/**
 * Malformed HTTP, answered on the socket before there is a request (Fastify's default answers
 * in its own shape): `{"detail": ...}`, then the connection is closed.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400
  const body = JSON.stringify({detail: STATUS_CODES[status]})
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    )
  }

  socket.destroy(error)
}

/** FastAPI answers unknown routes with `{"detail": "Not Found"}`. */
export function handleNotFound(_request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(404).send({detail: 'Not Found'})
}
