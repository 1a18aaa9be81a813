import type pg from 'pg'

import {randomUUID} from 'node:crypto'

import type {CreatedApiKey} from '../../auth/api-keys.js'
import type {AuthStorage} from '../storage.js'
import type {Migration} from './migrate.js'

import {hashKey, newApiKey} from '../../auth/api-keys.js'
import {
  decideSpend,
  familyRowRevoked,
  hashToken,
  type IssuedRefreshToken,
  newRefreshToken,
  type RefreshTokenRow,
  REPLAY_REASON,
} from '../../auth/refresh-tokens.js'
import {newUser, type Role, type StoredUser} from '../../auth/users.js'
import {unauthorized} from '../../http/errors.js'
import {nowMicros} from '../../time.js'
import {inTransaction, type Queryable} from './transaction.js'

/** SQLite's auth tables, with BIGINT microseconds. */
export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 20,
    sql: `
CREATE TABLE users (
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_us BIGINT NOT NULL
);
CREATE TABLE refresh_families (
  family_id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  revoked_reason TEXT
);
CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  family_id TEXT NOT NULL REFERENCES refresh_families(family_id) ON DELETE CASCADE,
  expires_us BIGINT NOT NULL,
  spent_us BIGINT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE TABLE api_keys (
  key_id TEXT PRIMARY KEY,
  key_hash TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  created_us BIGINT NOT NULL
);
CREATE TABLE revoked_tokens (
  jti TEXT PRIMARY KEY,
  expires_us BIGINT NOT NULL
);
`,
  },
]

type Rotated = IssuedRefreshToken & {username: string}

/** The SQLite UserStore on PostgreSQL: the same validation, null when the name is taken. */
class PgUsers {
  constructor(private readonly pool: pg.Pool) {}

  async create(username: string, password: string, role: Role): Promise<null | StoredUser> {
    const user = await newUser(username, password, role)
    const inserted = await this.pool.query(
      `INSERT INTO users (username, password_hash, role, created_us) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO NOTHING`,
      [user.username, user.password_hash, user.role, user.created_us],
    )
    return inserted.rowCount === 1 ? user : null
  }

  async get(username: string): Promise<StoredUser | undefined> {
    const found = await this.pool.query<StoredUser>('SELECT * FROM users WHERE username = $1', [username])
    return found.rows[0]
  }
}

class PgApiKeys {
  constructor(private readonly pool: pg.Pool) {}

  async create(username: string, name: string): Promise<CreatedApiKey> {
    const {row, created} = newApiKey(username, name)
    await this.pool.query(
      'INSERT INTO api_keys (key_id, key_hash, username, name, created_us) VALUES ($1, $2, $3, $4, $5)',
      row,
    )
    return created
  }

  async ownerOf(apiKey: string): Promise<string | undefined> {
    const found = await this.pool.query<{username: string}>('SELECT username FROM api_keys WHERE key_hash = $1', [
      hashKey(apiKey),
    ])
    return found.rows[0]?.username
  }
}

/**
 * Rotating refresh tokens as the SQLite RefreshTokens does them. The spend locks the token's row
 * (`FOR UPDATE`): a second node presenting the same token waits for the first to commit, then
 * reads it spent and takes it as the replay it is.
 */
class PgRefreshTokens {
  constructor(
    private readonly pool: pg.Pool,
    readonly ttlSeconds: number,
  ) {}

  async rotate(token: string): Promise<Rotated> {
    // The replay revocation must be committed, so the 401 is thrown after the transaction.
    const outcome = await inTransaction(this.pool, (client) => this.spend(client, token))
    if ('error' in outcome) throw unauthorized(outcome.error)
    return outcome
  }

  async startFamily(username: string): Promise<IssuedRefreshToken> {
    const familyId = randomUUID()
    return inTransaction(this.pool, async (client) => {
      await client.query('INSERT INTO refresh_families (family_id, username) VALUES ($1, $2)', [familyId, username])
      return {familyId, token: await this.issue(client, familyId)}
    })
  }

  private async issue(db: Queryable, familyId: string): Promise<string> {
    const {hash, token} = newRefreshToken()
    await db.query('INSERT INTO refresh_tokens (token_hash, family_id, expires_us) VALUES ($1, $2, $3)', [
      hash,
      familyId,
      // A BIGINT takes no fraction, which a TTL given in fractional seconds (tests) could leave.
      nowMicros() + Math.round(this.ttlSeconds * 1_000_000),
    ])
    return token
  }

  private async spend(client: pg.PoolClient, token: string): Promise<Rotated | {error: string}> {
    const hash = hashToken(token)
    const found = await client.query<RefreshTokenRow>(
      `SELECT t.family_id, t.expires_us, t.spent_us, f.username, f.revoked_reason
         FROM refresh_tokens t JOIN refresh_families f USING (family_id) WHERE t.token_hash = $1
         FOR UPDATE`,
      [hash],
    )
    const decision = decideSpend(found.rows[0], nowMicros())
    if ('error' in decision) {
      if (decision.revokeFamily)
        await client.query('UPDATE refresh_families SET revoked_reason = $1 WHERE family_id = $2', [
          REPLAY_REASON,
          decision.revokeFamily,
        ])
      return {error: decision.error}
    }

    await client.query('UPDATE refresh_tokens SET spent_us = $1 WHERE token_hash = $2', [nowMicros(), hash])
    const {family_id: familyId, username} = decision.spend
    return {username, familyId, token: await this.issue(client, familyId)}
  }
}

/** Revoked access tokens (kept until they would have expired) and the families' revocation. */
class PgRevoked {
  constructor(private readonly pool: pg.Pool) {}

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const found = await this.pool.query<{revoked_reason: null | string}>(
      'SELECT revoked_reason FROM refresh_families WHERE family_id = $1',
      [familyId],
    )
    return familyRowRevoked(found.rows[0])
  }

  async isRevoked(jti: string): Promise<boolean> {
    const found = await this.pool.query('SELECT 1 FROM revoked_tokens WHERE jti = $1', [jti])
    return found.rowCount === 1
  }

  /** SQLite's INSERT OR REPLACE: revoking a token again records the expiry given last. */
  async revoke(jti: string, expiresUs: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO revoked_tokens (jti, expires_us) VALUES ($1, $2)
       ON CONFLICT (jti) DO UPDATE SET expires_us = EXCLUDED.expires_us`,
      [jti, expiresUs],
    )
  }
}

/** Users, API keys, refresh tokens and revoked access tokens in PostgreSQL, shared by every node. */
export class PgAuthStorage implements AuthStorage {
  readonly apiKeys: PgApiKeys
  readonly refreshTokens: PgRefreshTokens
  readonly revoked: PgRevoked
  readonly users: PgUsers

  constructor(pool: pg.Pool, options: {refreshTokenTtlSeconds: number}) {
    this.users = new PgUsers(pool)
    this.apiKeys = new PgApiKeys(pool)
    this.refreshTokens = new PgRefreshTokens(pool, options.refreshTokenTtlSeconds)
    this.revoked = new PgRevoked(pool)
  }
}
