import {UsageError} from '../errors.js'

/** Hides `user:password@` so an invalid URL can be quoted in an error. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@')
}

/**
 * Validates a server URL (http or https, no credentials, query or fragment) and normalises it:
 * lower-case host, default port dropped, no trailing slash (a path prefix is kept).
 * `origin` names where the URL came from (`--server`, a variable, a file) in the error.
 */
export function normalizeServerUrl(raw: string, origin: string): string {
  const trimmed = raw.trim()
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new UsageError(`${origin}: "${redactUrl(trimmed)}" is not a URL`, {
      hint: 'Give the full address with its scheme, e.g. https://cidx.example.com or http://localhost:8000.',
    })
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const guess = trimmed.includes('://') ? '' : ` Did you mean http://${redactUrl(trimmed)}?`
    throw new UsageError(`${origin}: only http:// and https:// server URLs are supported`, {
      hint: `Give the full address with its scheme, e.g. https://cidx.example.com.${guess}`,
    })
  }

  if (url.username || url.password) {
    throw new UsageError(`${origin}: the server URL must not contain a user name or password`, {
      hint: 'Use `cidx login`, CIDX_TOKEN or CIDX_USERNAME and CIDX_PASSWORD for credentials.',
    })
  }

  if (url.search || url.hash) {
    throw new UsageError(`${origin}: the server URL must not have a query or a fragment`, {
      hint: 'Give only the address of the server, e.g. https://cidx.example.com.',
    })
  }

  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

/** The normalised URL, or null when it is not a valid server URL: for comparing, where a bad one simply matches nothing. */
export function normalizeServerUrlOrNull(raw: string): null | string {
  try {
    return normalizeServerUrl(raw, '')
  } catch {
    return null
  }
}
