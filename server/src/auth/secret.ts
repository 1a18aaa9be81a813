import {randomBytes} from 'node:crypto'
import {chmodSync, linkSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const SECRET_FILE = 'jwt-secret'

function readSecret(path: string): Uint8Array | undefined {
  try {
    const existing = readFileSync(path)
    chmodSync(path, 0o600)
    return new Uint8Array(existing)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    return undefined
  }
}

/**
 * The HS256 signing key of this data dir: made once, kept in a file only the owner can read,
 * so tokens survive a restart and never work against another data dir. Nodes of a cluster
 * share the data dir, hence the key: a token from one is good on all. The key is written whole
 * under another name and then linked into place, so nodes starting at once agree on one key
 * and none reads a half-written file.
 */
export function loadOrCreateJwtSecret(dataDir: string): Uint8Array {
  const path = join(dataDir, SECRET_FILE)
  const existing = readSecret(path)
  if (existing) return existing
  const secret = randomBytes(64)
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(draft, secret, {mode: 0o600, flag: 'wx'})
  try {
    linkSync(draft, path)
    return new Uint8Array(secret)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    return readSecret(path) as Uint8Array
  } finally {
    rmSync(draft, {force: true})
  }
}
