import {errors, type JWTPayload, jwtVerify, SignJWT} from 'jose'
import {randomUUID} from 'node:crypto'

import type {AuthStorage} from '../db/storage.js'

import {unauthorized} from '../http/errors.js'

export interface AccessClaims extends JWTPayload {
  role?: unknown
  /** The refresh family (login session) the token was issued under: it dies with the family. */
  sid?: unknown
  username?: unknown
}

export type VerifiedClaims = AccessClaims & {exp: number; jti: string; username: string}

export interface IssuedAccessToken {
  expiresAt: number
  token: string
}

/**
 * HS256 access tokens shaped like the real server's: `username`, `role`, float `exp`/`iat`, `jti`.
 * Tokens from a login or a refresh also carry `sid`, their refresh family.
 */
export class AccessTokens {
  constructor(
    private readonly secret: Uint8Array,
    private readonly revoked: AuthStorage['revoked'],
    readonly ttlSeconds: number,
  ) {}

  async issue(
    username: string,
    role: string,
    extraClaims: Record<string, unknown> = {},
    ttlSeconds = this.ttlSeconds,
  ): Promise<IssuedAccessToken> {
    const issuedAt = Date.now() / 1000
    const expiresAt = issuedAt + ttlSeconds
    const token = await new SignJWT({username, role, exp: expiresAt, iat: issuedAt, jti: randomUUID(), ...extraClaims})
      .setProtectedHeader({alg: 'HS256', typ: 'JWT'})
      .sign(this.secret)
    return {token, expiresAt}
  }

  /** Revokes a token until it would have expired anyway. */
  async revoke(token: string): Promise<void> {
    const claims = await this.verify(token)
    const expiresUs = Math.ceil(claims.exp * 1_000_000)
    await this.revoked.revoke(claims.jti, expiresUs)
  }

  /**
   * The claims of a valid token; otherwise a 401 with the real server's detail text. A token
   * without `exp` would never expire and one without `jti` could not be revoked: both are invalid.
   */
  async verify(token: string): Promise<VerifiedClaims> {
    let claims: AccessClaims
    try {
      claims = (await jwtVerify(token, this.secret, {algorithms: ['HS256'], requiredClaims: ['exp', 'jti']})).payload
    } catch (error) {
      throw unauthorized(error instanceof errors.JWTExpired ? 'Token has expired' : 'Invalid token')
    }

    if (typeof claims.jti !== 'string') throw unauthorized('Invalid token')
    // jose compares `exp` with whole seconds; a float `exp` ends to the millisecond, as event streams do.
    if ((claims.exp as number) * 1000 <= Date.now()) throw unauthorized('Token has expired')
    if (typeof claims.username !== 'string' || claims.username === '')
      throw unauthorized('Invalid token: missing username')
    if (
      (await this.revoked.isRevoked(claims.jti)) ||
      (claims.sid !== undefined && (await this.revoked.isFamilyRevoked(String(claims.sid))))
    ) {
      throw unauthorized('Token has been revoked')
    }

    return claims as VerifiedClaims
  }
}
