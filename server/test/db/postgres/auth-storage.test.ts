import type pg from 'pg'

import {expect} from 'chai'
import {setTimeout as delay} from 'node:timers/promises'

import {AUTH_MIGRATIONS, PgAuthStorage} from '../../../src/db/postgres/auth-storage.js'
import {migrate} from '../../../src/db/postgres/migrate.js'
import {HttpError} from '../../../src/http/errors.js'
import {usePostgres} from '../../support/postgres.js'

/** The 401 text a rotation was refused with, or 'rotated'. */
async function rotationOutcome(auth: PgAuthStorage, token: string): Promise<string> {
  try {
    await auth.refreshTokens.rotate(token)
    return 'rotated'
  } catch (error) {
    expect(error).to.be.instanceOf(HttpError)
    expect((error as HttpError).statusCode).to.equal(401)
    return (error as HttpError).detail as string
  }
}

describe('server: PostgreSQL auth storage', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  let auth: PgAuthStorage

  before(async () => {
    pool = postgres.pool(4)
    expect(await migrate(pool, AUTH_MIGRATIONS)).to.deep.equal([20])
    auth = new PgAuthStorage(pool, {refreshTokenTtlSeconds: 60})
  })

  describe('users', () => {
    it('creates a user once: the same name again answers null and keeps the first', async () => {
      const first = await auth.users.create('alice', 'secret-1', 'power_user')
      expect(first).to.include({username: 'alice', role: 'power_user'})
      expect(await auth.users.create('alice', 'secret-2', 'admin')).to.equal(null)
      const stored = await auth.users.get('alice')
      expect(stored).to.deep.equal(first)
      expect(stored?.password_hash).to.not.include('secret-1')
      expect(await auth.users.get('nobody')).to.equal(undefined)
    })

    it('refuses the names and roles the SQLite store refuses', async () => {
      const failure = (username: string, role: string) =>
        auth.users.create(username, 'pw', role as 'admin').then(
          () => 'created',
          (error: Error) => error.message,
        )
      expect(await failure('../etc', 'admin')).to.equal('Invalid username: ../etc')
      expect(await failure('bob', 'root')).to.equal('Invalid role: root')
      expect(await auth.users.get('bob')).to.equal(undefined)
    })
  })

  describe('API keys', () => {
    it('knows the owner of a key it issued and of no other', async () => {
      const key = await auth.apiKeys.create('alice', 'ci')
      expect(key.api_key).to.match(/^cidx_sk_[0-9a-f]{32}$/)
      expect(key.name).to.equal('ci')
      expect(key.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/)
      expect(await auth.apiKeys.ownerOf(key.api_key)).to.equal('alice')
      expect(await auth.apiKeys.ownerOf('cidx_sk_' + '0'.repeat(32))).to.equal(undefined)
      const stored = await pool.query('SELECT key_hash FROM api_keys WHERE key_id = $1', [key.key_id])
      expect(stored.rows[0].key_hash).to.not.include(key.api_key)
    })
  })

  describe('refresh tokens', () => {
    it('rotates along a chain: each token is good once and hands out the next of its family', async () => {
      const start = await auth.refreshTokens.startFamily('alice')
      const second = await auth.refreshTokens.rotate(start.token)
      expect(second).to.include({username: 'alice', familyId: start.familyId})
      const third = await auth.refreshTokens.rotate(second.token)
      expect(third.familyId).to.equal(start.familyId)
      expect(new Set([start.token, second.token, third.token]).size).to.equal(3)
      expect(await auth.revoked.isFamilyRevoked(start.familyId)).to.equal(false)
      expect(auth.refreshTokens.ttlSeconds).to.equal(60)
    })

    it('takes a spent token presented again as a replay: the family and its access tokens are revoked', async () => {
      const start = await auth.refreshTokens.startFamily('alice')
      const next = await auth.refreshTokens.rotate(start.token)
      expect(await rotationOutcome(auth, start.token)).to.equal('Token replay attack detected')
      expect(await auth.revoked.isFamilyRevoked(start.familyId)).to.equal(true)
      expect(await rotationOutcome(auth, next.token)).to.equal('Refresh token revoked due to replay_attack')
    })

    it('refuses an unknown token and an expired one with the SQLite texts', async () => {
      expect(await rotationOutcome(auth, 'not-a-token')).to.equal('Invalid refresh token')
      // About 59 ms, and not a whole number of microseconds: the BIGINT expiry must still take it.
      const shortLived = new PgAuthStorage(pool, {refreshTokenTtlSeconds: 1 / 17})
      const start = await shortLived.refreshTokens.startFamily('alice')
      await delay(80)
      expect(await rotationOutcome(shortLived, start.token)).to.equal('Refresh token has expired')
      expect(await auth.revoked.isFamilyRevoked(start.familyId)).to.equal(false)
    })

    it('lets exactly one of two nodes spend one token presented at the same moment', async () => {
      const nodes = [postgres.pool(2), postgres.pool(2)].map(
        (nodePool) => new PgAuthStorage(nodePool, {refreshTokenTtlSeconds: 60}),
      )
      // Several rounds: a store without the row lock lets both spend in some of them.
      for (let round = 0; round < 10; round++) {
        const start = await nodes[0].refreshTokens.startFamily('alice')
        const outcomes = await Promise.all(nodes.map((node) => rotationOutcome(node, start.token)))
        expect([...outcomes].sort()).to.deep.equal(['Token replay attack detected', 'rotated'])
        const issued = await pool.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1', [
          start.familyId,
        ])
        expect(issued.rows[0].n).to.equal(2)
      }
    })
  })

  describe('revocation', () => {
    it('revokes an access token by its jti, again with a new expiry, and no other', async () => {
      await auth.revoked.revoke('jti-1', 1000)
      await auth.revoked.revoke('jti-1', 2000)
      expect(await auth.revoked.isRevoked('jti-1')).to.equal(true)
      expect(await auth.revoked.isRevoked('jti-2')).to.equal(false)
      const stored = await pool.query('SELECT expires_us FROM revoked_tokens')
      expect(stored.rows).to.deep.equal([{expires_us: 2000}])
    })

    it('counts a family that never existed as revoked', async () => {
      expect(await auth.revoked.isFamilyRevoked('no-such-family')).to.equal(true)
    })
  })
})
