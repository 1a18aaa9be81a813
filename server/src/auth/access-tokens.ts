import {errors, jwtVerify, SignJWT, type JWTPayload} from 'jose'
import {randomUUID} from 'node:crypto'
import type {Db} from '../db/database.js'
import {unauthorized} from '../http/errors.js'

export interface AccessClaims extends JWTPayload {
  username?: unknown
  role?: unknown
}

export interface IssuedAccessToken {
  token: string
  expiresAt: number
}

/** HS256 access tokens shaped like the real server's: `username`, `role`, float `exp`/`iat`, `jti`. */
export class AccessTokens {
  constructor(
    private readonly secret: Uint8Array,
    private readonly db: Db,
    readonly ttlSeconds: number,
  ) {}

  async issue(username: string, role: string, ttlSeconds = this.ttlSeconds, extraClaims: Record<string, unknown> = {}): Promise<IssuedAccessToken> {
    const issuedAt = Date.now() / 1000
    const expiresAt = issuedAt + ttlSeconds
    const token = await new SignJWT({username, role, exp: expiresAt, iat: issuedAt, jti: randomUUID(), ...extraClaims})
      .setProtectedHeader({alg: 'HS256', typ: 'JWT'})
      .sign(this.secret)
    return {token, expiresAt}
  }

  /** The claims of a valid token; otherwise a 401 with the real server's detail text. */
  async verify(token: string): Promise<AccessClaims & {username: string}> {
    let claims: AccessClaims
    try {
      claims = (await jwtVerify(token, this.secret, {algorithms: ['HS256']})).payload
    } catch (error) {
      throw unauthorized(error instanceof errors.JWTExpired ? 'Token has expired' : 'Invalid token')
    }
    if (typeof claims.username !== 'string' || claims.username === '') throw unauthorized('Invalid token: missing username')
    if (typeof claims.jti === 'string' && this.isRevoked(claims.jti)) throw unauthorized('Token has been revoked')
    return claims as AccessClaims & {username: string}
  }

  /** Revokes a token until it would have expired anyway. */
  async revoke(token: string): Promise<void> {
    const claims = await this.verify(token)
    const expiresUs = Math.ceil(Number(claims.exp ?? 0) * 1_000_000)
    this.db.prepare('INSERT OR REPLACE INTO revoked_tokens (jti, expires_us) VALUES (?, ?)').run(String(claims.jti), expiresUs)
  }

  private isRevoked(jti: string): boolean {
    return this.db.prepare('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined
  }
}
