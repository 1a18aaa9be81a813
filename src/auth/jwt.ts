/**
 * The claims of a JWT, read without verifying it (only the server can): for display and for
 * knowing when to renew, never for trusting who the caller is.
 */
import {isRecord} from '../support/json.js'

export function jwtClaims(token: string): null | Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    return isRecord(claims) ? claims : null
  } catch {
    return null
  }
}

/** When the token expires, in epoch ms: `exp` is seconds (a float on a real server); null when absent. */
export function expiryOfClaims(claims: null | Record<string, unknown>): null | number {
  const exp = claims?.exp
  return typeof exp === 'number' && Number.isFinite(exp) ? Math.round(exp * 1000) : null
}
