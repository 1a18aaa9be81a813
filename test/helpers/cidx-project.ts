import {createCipheriv, pbkdf2Sync, randomBytes} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

/** Builds a `.creds` blob exactly as the Python cidx does (salt + IV + AES-256-CBC/PKCS7, PBKDF2 key). */
export function encryptCreds(options: {username: string; password: string; serverUrl: string; root: string}): Buffer {
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const key = pbkdf2Sync(`${options.username}:${options.root}:${options.serverUrl}`, salt, 100_000, 32, 'sha256')
  const cipher = createCipheriv('aes-256-cbc', key, iv)
  const plaintext = JSON.stringify({
    username: options.username,
    password: options.password,
    server_url: options.serverUrl,
    created_at: Date.now() / 1000,
  })
  return Buffer.concat([salt, iv, cipher.update(plaintext, 'utf8'), cipher.final()])
}

/**
 * Lays out a project as `cidx init --remote` leaves it: `.code-indexer/.remote-config`, and a
 * `.creds` (given, `'none'`, or encrypted for `keyRoot`, by default the root itself).
 */
export async function makeProject(
  root: string,
  options: {serverUrl: string; username?: string; password?: string; creds?: Buffer | 'none'; keyRoot?: string},
): Promise<void> {
  const username = options.username ?? 'pat'
  await mkdir(join(root, '.code-indexer'), {recursive: true})
  await writeFile(
    join(root, '.code-indexer', '.remote-config'),
    JSON.stringify({mode: 'remote', server_url: options.serverUrl, username, encrypted_credentials: ''}),
  )
  if (options.creds === 'none') return
  const creds =
    options.creds ??
    encryptCreds({username, password: options.password ?? 'project-secret', serverUrl: options.serverUrl, root: options.keyRoot ?? root})
  await writeFile(join(root, '.code-indexer', '.creds'), creds, {mode: 0o600})
}
