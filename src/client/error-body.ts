import {isRecord} from '../support/json.js'

/**
 * Reads the three error-body shapes of a CIDX server into one readable message:
 * 1. handler errors `{"detail": string | object | list}`;
 * 2. the 422 validation envelope (`message` + `details.field_errors` + a FastAPI `detail` list);
 * 3. the 500/503 envelope with no `detail` (`error`, `message`, maybe `retry_after`).
 */

function locationOf(loc: unknown): string {
  if (!Array.isArray(loc)) return ''
  return loc
    .filter((part) => part !== 'body')
    .map(String)
    .join('.')
}

/** FastAPI's `[{loc, msg, ...}]` → "query.limit: Input should be a valid integer". */
function fromValidationList(list: unknown[]): null | string {
  const lines = list
    .map((item) => {
      if (typeof item === 'string') return item
      if (!isRecord(item)) return null
      const msg = typeof item.msg === 'string' ? item.msg : typeof item.message === 'string' ? item.message : null
      if (!msg) return null
      const where = locationOf(item.loc) || (typeof item.field === 'string' ? item.field : '')
      return where ? `${where}: ${msg}` : msg
    })
    .filter((line): line is string => line !== null)
  return lines.length > 0 ? lines.join('; ') : null
}

function fromDetailObject(detail: Record<string, unknown>): null | string {
  const main = [detail.message, detail.error, detail.detail].find(
    (value) => typeof value === 'string' && value !== '',
  ) as string | undefined
  if (!main) return null
  return typeof detail.guidance === 'string' && detail.guidance !== '' ? `${main} (${detail.guidance})` : main
}

function fromDetail(detail: unknown): null | string {
  if (typeof detail === 'string') return detail.trim() === '' ? null : detail
  if (Array.isArray(detail)) return fromValidationList(detail)
  if (isRecord(detail)) return fromDetailObject(detail)
  return null
}

function fieldErrorsOf(body: Record<string, unknown>): null | unknown[] {
  const {details} = body
  if (!isRecord(details) || !Array.isArray(details.field_errors)) return null
  return details.field_errors
}

/** The server's own words for what went wrong, or null when the body says nothing useful. */
export function errorMessageFromBody(body: unknown): null | string {
  if (typeof body === 'string') return body.trim() === '' ? null : body.trim()
  if (!isRecord(body)) return null
  if (body.error === 'validation_error') {
    const fields = fieldErrorsOf(body)
    const specifics = (fields && fromValidationList(fields)) ?? fromDetail(body.detail)
    return specifics ?? (typeof body.message === 'string' ? body.message : 'Request validation failed')
  }

  const detail = fromDetail(body.detail)
  if (detail) return detail
  if (typeof body.message === 'string' && body.message !== '') return body.message
  if (typeof body.error === 'string' && body.error !== '') return body.error.replaceAll('_', ' ')
  return null
}

/** `retry_after` / `retry_after_seconds` from a body, in seconds. */
export function retryAfterFromBody(body: unknown): null | number {
  if (!isRecord(body)) return null
  const value = body.retry_after ?? body.retry_after_seconds
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null
}

/**
 * The most of a server's error text shown to a person (and put in --json): enough for any real
 * message, while a broken or hostile server cannot flood the terminal with megabytes of "detail".
 */
const MAX_MESSAGE_CHARS = 1000

/** `text`, or its first MAX_MESSAGE_CHARS characters and how many were cut. */
export function shortenForPeople(text: string): string {
  if (text.length <= MAX_MESSAGE_CHARS) return text
  // Never split a surrogate pair: half a character would print as garbage.
  const end = /[\uD800-\uDBFF]/.test(text[MAX_MESSAGE_CHARS - 1]) ? MAX_MESSAGE_CHARS - 1 : MAX_MESSAGE_CHARS
  return `${text.slice(0, end)}… (${text.length - end} characters cut)`
}
