import {createHash, randomBytes, randomUUID} from 'node:crypto'

import type {Db} from '../db/database.js'

import {nowMicros, pythonIso} from '../time.js'

export const API_KEY_PREFIX = 'cidx_sk_'

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

export interface CreatedApiKey {
  api_key: string
  created_at: string
  key_id: string
  name: string
}

/** A new key: the row to store (only its hash) and what its owner is shown once (for either store). */
export function newApiKey(
  username: string,
  name: string,
): {created: CreatedApiKey; row: [keyId: string, keyHash: string, username: string, name: string, createdUs: number]} {
  const apiKey = API_KEY_PREFIX + randomBytes(16).toString('hex')
  const keyId = randomUUID()
  const createdUs = nowMicros()
  return {
    row: [keyId, hashKey(apiKey), username, name, createdUs],
    created: {api_key: apiKey, key_id: keyId, name, created_at: pythonIso(createdUs)},
  }
}

/** `cidx_sk_` + 32 hex characters, no expiry; only a hash is kept, the key is shown once. */
export class ApiKeys {
  constructor(private readonly db: Db) {}

  create(username: string, name: string): CreatedApiKey {
    const {row, created} = newApiKey(username, name)
    this.db
      .prepare('INSERT INTO api_keys (key_id, key_hash, username, name, created_us) VALUES (?, ?, ?, ?, ?)')
      .run(...row)
    return created
  }

  /** The owner of a key, or undefined for a key this server never issued. */
  ownerOf(apiKey: string): string | undefined {
    const row = this.db.prepare('SELECT username FROM api_keys WHERE key_hash = ?').get(hashKey(apiKey)) as
      undefined | {username: string}
    return row?.username
  }
}
