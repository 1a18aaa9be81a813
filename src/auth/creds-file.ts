import {createDecipheriv, pbkdf2} from 'node:crypto'
import {readFile, realpath} from 'node:fs/promises'
import {promisify} from 'node:util'

import {AuthError} from '../errors.js'
import {type CidxProject, projectFilePath} from './project-config.js'

const SALT_BYTES = 32
const IV_BYTES = 16
const PBKDF2_ITERATIONS = 100_000
const KEY_BYTES = 32

function undecryptable(credsPath: string): AuthError {
  return new AuthError(`Cannot decrypt ${credsPath}`, {
    hint: 'It is damaged, or was written for another user, server or folder: set it up again with the Python cidx (`cidx init --remote URL --username U --password P`), or use `cidx login`.',
  })
}

/** Decrypts one `.creds` blob with one candidate key input; null when the key does not fit. */
async function tryDecrypt(data: Buffer, keyInput: string): Promise<null | {password: string; username: string}> {
  const salt = data.subarray(0, SALT_BYTES)
  const iv = data.subarray(SALT_BYTES, SALT_BYTES + IV_BYTES)
  const ciphertext = data.subarray(SALT_BYTES + IV_BYTES)
  const key = await promisify(pbkdf2)(Buffer.from(keyInput, 'utf8'), salt, PBKDF2_ITERATIONS, KEY_BYTES, 'sha256')
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv)
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    const {username, password} = JSON.parse(plaintext) as Record<string, unknown>
    if (typeof username !== 'string' || typeof password !== 'string') return null
    return {username, password}
  } catch {
    // Wrong key (bad padding or garbage JSON): the caller tries the next candidate or reports the file.
    return null
  }
}

/**
 * Reads `.code-indexer/.creds` as the Python cidx wrote it: salt (32) + IV (16) + AES-256-CBC/PKCS7
 * ciphertext of `{"username","password","server_url","created_at"}`, key = PBKDF2-HMAC-SHA256
 * (100,000 iterations, 32 bytes) of `<username>:<project root>:<server_url>` with that salt.
 * Returns null when the project has no `.creds`. The content never appears in an error.
 */
export async function readProjectCredentials(
  project: CidxProject,
): Promise<null | {password: string; username: string}> {
  const credsPath = projectFilePath(project.root, '.creds')
  let data: Buffer
  try {
    data = await readFile(credsPath)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return null
    throw new AuthError(`Cannot read ${credsPath} (${code})`, {
      hint: 'Check its owner and permissions (it should be 0600 and yours).',
    })
  }

  // At least one cipher block after salt and IV.
  if (data.length < SALT_BYTES + IV_BYTES + 16 || (data.length - SALT_BYTES - IV_BYTES) % 16 !== 0)
    throw undecryptable(credsPath)
  // Python used the project path as it found it; that is the real path unless the project was reached through a symlink.
  const roots = [...new Set([project.root, await realpath(project.root).catch(() => project.root)])]
  for (const root of roots) {
    const decrypted = await tryDecrypt(data, `${project.username}:${root}:${project.serverUrl}`)
    if (decrypted) return decrypted
  }

  throw undecryptable(credsPath)
}
