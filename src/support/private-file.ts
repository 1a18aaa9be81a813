import {randomBytes} from 'node:crypto'
import {chmod, mkdir, open, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'

import {CliError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'

const FILE_MODE = 0o600
const DIR_MODE = 0o700

/** Creates the directory (and parents) and makes sure it is private, even when it existed already. */
async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, {recursive: true, mode: DIR_MODE})
  await chmod(path, DIR_MODE)
}

function writeFailure(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error)
  return new CliError('config', ExitCode.ERROR, `Cannot write ${path} (${code})`, {
    hint: 'Check that the cidx config directory is writable.',
    cause: error,
  })
}

/**
 * Writes a private file so that a reader sees either the old or the new content, never half of it:
 * a temp file in the same directory (created 0600, so the secret is never readable by others), fsync, rename.
 * Its directory (and parents) are created 0700, and an existing one is tightened to 0700.
 */
export async function writePrivateFileAtomic(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await ensurePrivateDir(dirname(path))
    const handle = await open(temp, 'wx', FILE_MODE)
    try {
      await handle.chmod(FILE_MODE) // a umask cannot widen it, but a restrictive one could make it unreadable to us
      await handle.writeFile(content, 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }

    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true}).catch(() => {}) // best effort: the write error is what matters
    throw writeFailure(path, error)
  }
}
