import {createHash, randomBytes, randomUUID} from 'node:crypto'

import type {Db} from '../db/database.js'

import {unauthorized} from '../http/errors.js'
import {nowMicros} from '../time.js'

/** A refresh token's row joined with its family's: what deciding on a presented token needs. */
export interface RefreshTokenRow {
  expires_us: number
  family_id: string
  revoked_reason: null | string
  spent_us: null | number
  username: string
}

/** What presenting a token does: spend it, or refuse it with the 401 text (revoking its family on a replay). */
export type SpendDecision = {error: string; revokeFamily?: string} | {spend: RefreshTokenRow}

/** Why a family is revoked when one of its spent tokens comes back. */
export const REPLAY_REASON = 'replay_attack'

/** The decision on a presented token, shared by the SQLite and PostgreSQL stores so their 401s cannot drift. */
export function decideSpend(row: RefreshTokenRow | undefined, nowUs: number): SpendDecision {
  if (!row) return {error: 'Invalid refresh token'}
  if (row.revoked_reason !== null) return {error: `Refresh token revoked due to ${row.revoked_reason}`}
  if (row.spent_us !== null) return {error: 'Token replay attack detected', revokeFamily: row.family_id}
  if (row.expires_us <= nowUs) return {error: 'Refresh token has expired'}
  return {spend: row}
}

/** Only this hash of a token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** A new token's value (shown once) and the hash to store. */
export function newRefreshToken(): {hash: string; token: string} {
  const token = randomBytes(32).toString('base64url')
  return {token, hash: hashToken(token)}
}

/** Whether a family's row says it was revoked; a family that never existed counts as revoked. */
export function familyRowRevoked(row: undefined | {revoked_reason: null | string}): boolean {
  return row === undefined || row.revoked_reason !== null
}

/** Whether a family was revoked (or never existed): its access tokens are no longer valid either. */
export function isFamilyRevoked(db: Db, familyId: string): boolean {
  const row = db.prepare('SELECT revoked_reason FROM refresh_families WHERE family_id = ?').get(familyId) as
    undefined | {revoked_reason: null | string}
  return familyRowRevoked(row)
}

/** A refresh token and the family it belongs to (which the access tokens issued with it name as `sid`). */
export interface IssuedRefreshToken {
  familyId: string
  token: string
}

/**
 * Rotating refresh tokens. Each login starts a family; each refresh spends the presented token
 * and hands out the next one of the same family. A spent token presented again means someone
 * else holds a copy: the whole family is revoked, with the access tokens issued under it.
 * Only hashes are stored.
 */
export class RefreshTokens {
  constructor(
    private readonly db: Db,
    readonly ttlSeconds: number,
  ) {}

  /** Spends `token` and returns its owner and the next token, or throws the matching 401. */
  rotate(token: string): IssuedRefreshToken & {username: string} {
    // The replay revocation must be committed, so the 401 is thrown after the transaction.
    const outcome = this.db.transaction(() => this.spend(token))()
    if ('error' in outcome) throw unauthorized(outcome.error)
    return outcome
  }

  startFamily(username: string): IssuedRefreshToken {
    const familyId = randomUUID()
    this.db.prepare('INSERT INTO refresh_families (family_id, username) VALUES (?, ?)').run(familyId, username)
    return {familyId, token: this.issue(familyId)}
  }

  private issue(familyId: string): string {
    const {hash, token} = newRefreshToken()
    this.db
      .prepare('INSERT INTO refresh_tokens (token_hash, family_id, expires_us) VALUES (?, ?, ?)')
      .run(hash, familyId, nowMicros() + this.ttlSeconds * 1_000_000)
    return token
  }

  private revokeFamily(familyId: string, reason: string): void {
    this.db.prepare('UPDATE refresh_families SET revoked_reason = ? WHERE family_id = ?').run(reason, familyId)
  }

  private spend(token: string): (IssuedRefreshToken & {username: string}) | {error: string} {
    const row = this.db
      .prepare(
        `SELECT t.family_id, t.expires_us, t.spent_us, f.username, f.revoked_reason
         FROM refresh_tokens t JOIN refresh_families f USING (family_id) WHERE t.token_hash = ?`,
      )
      .get(hashToken(token)) as RefreshTokenRow | undefined
    const decision = decideSpend(row, nowMicros())
    if ('error' in decision) {
      if (decision.revokeFamily) this.revokeFamily(decision.revokeFamily, REPLAY_REASON)
      return {error: decision.error}
    }

    this.db.prepare('UPDATE refresh_tokens SET spent_us = ? WHERE token_hash = ?').run(nowMicros(), hashToken(token))
    const {family_id: familyId, username} = decision.spend
    return {username, familyId, token: this.issue(familyId)}
  }
}
