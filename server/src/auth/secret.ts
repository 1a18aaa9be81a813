import {randomBytes} from 'node:crypto'
import {chmodSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const SECRET_FILE = 'jwt-secret'

/**
 * The HS256 signing key of this data dir: made once, kept in a file only the owner can read,
 * so tokens survive a restart and never work against another data dir.
 */
export function loadOrCreateJwtSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, SECRET_FILE)
  try {
    const existing = readFileSync(path)
    chmodSync(path, 0o600)
    return new Uint8Array(existing)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  const secret = randomBytes(64)
  writeFileSync(path, secret, {mode: 0o600, flag: 'wx'})
  return new Uint8Array(secret)
}
