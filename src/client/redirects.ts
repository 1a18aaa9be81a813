import type {NormalizedOptions, PlainResponse, RequestError} from 'got'

import {NetworkError} from '../errors.js'
import {redact} from '../support/redact.js'

/**
 * What the client does with the redirects a server answers (untrusted, like everything it sends):
 * which it follows, and how it tells the ones that go nowhere.
 */

/** The most redirects one request follows: the CIDX API sends none; a proxy or a moved server, one or two. */
export const MAX_REDIRECTS = 5

/** Requests that carry no body and may go to another origin (without their Authorization header). */
const MAY_CHANGE_ORIGIN = new Set(['GET', 'HEAD'])

/** A URL as a message shows it: no user name or password and no query, which may carry secrets. */
export function displayUrl(url: string | URL, secrets: Iterable<string> = []): string {
  const shown = new URL(url)
  const query = shown.search === '' ? '' : '?…'
  shown.username = ''
  shown.password = ''
  shown.search = ''
  shown.hash = ''
  return redact(`${shown.href}${query}`, secrets)
}

/**
 * got's beforeRedirect hook. A redirect within the origin (scheme, host and port) is followed. One to
 * another origin is refused for a request with a body or credentials in it (login, refresh, MFA,
 * cancel: anything but GET and HEAD), so a password never follows a redirect to another host. A GET
 * follows without its Authorization header: got drops it for another host or port, and this drops
 * it for another scheme too, so an https → http redirect never carries the token in clear.
 */
export function guardRedirect(next: NormalizedOptions, response: PlainResponse, secrets: Iterable<string>): void {
  const from = new URL(response.url)
  const to = new URL(next.url as URL)
  if (from.origin === to.origin) return
  const {method} = response.request.options
  if (MAY_CHANGE_ORIGIN.has(method)) {
    delete next.headers.authorization
    return
  }

  throw new NetworkError(
    `The server redirected ${method} ${displayUrl(from, secrets)} to ${displayUrl(to, secrets)}, another origin: not followed (a request with credentials or a body stays on its server)`,
    {hint: 'If that address is the right server, use it as --server / CIDX_SERVER_URL.'},
  )
}

/** The URLs a request went through, up to and including the first one it met again. */
function redirectChain(error: RequestError, secrets: Iterable<string>): string {
  const visited = [error.request?.requestUrl, ...(error.request?.redirectUrls ?? [])].filter(
    (url): url is URL => url !== undefined,
  )
  const shown: string[] = []
  for (const url of visited) {
    const text = displayUrl(url, secrets)
    const looped = shown.includes(text)
    shown.push(text)
    if (looped) return shown.join(' → ')
  }

  return [...shown, '…'].join(' → ')
}

/** A redirect that goes nowhere (a loop, another scheme) as the error that says so; null for any other error. */
export function redirectProblem(error: RequestError, server: string, secrets: Iterable<string>): NetworkError | null {
  const hint =
    'Check --server / CIDX_SERVER_URL: the server, or a proxy in front of it, redirects where cidx cannot follow.'
  if (error.code === 'ERR_TOO_MANY_REDIRECTS') {
    return new NetworkError(`Too many redirects: ${redirectChain(error, secrets)}`, {hint})
  }

  const location = error.response?.headers.location
  if (error.code === 'ERR_UNSUPPORTED_PROTOCOL' && location !== undefined && error.response) {
    const target = displayUrl(new URL(location, error.response.url), secrets)
    return new NetworkError(`The server at ${server} redirected to ${target}, which is not HTTP(S)`, {hint})
  }

  return null
}
