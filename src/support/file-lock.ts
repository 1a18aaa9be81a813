/**
 * An advisory lock between cidx processes: a file created with O_EXCL that holds the owner's pid.
 * It guards the renewal of a login session: refresh tokens rotate, and a server that sees the same
 * refresh token twice takes it for a replay and revokes the whole session, so two processes (a
 * `watch cidx jobs list` and a prompt, say) must not refresh at the same moment.
 *
 * Advisory means it never makes a command fail: a lock that cannot be created (read-only config
 * directory) or that is held too long is given up on, and the work runs unlocked, as it would
 * without this file. A lock left by a process that died is taken over.
 */
import {open, readFile, rm, stat} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

export interface LockOptions {
  /** Told when the lock is given up on or taken over (the client's debug log). */
  log?: (line: string) => void
  /** How often to look again while waiting; default 25 ms. */
  pollMs?: number
  /** A lock older than this is taken over even if its pid is alive (a hung holder); default 60 s. */
  staleMs?: number
  /** How long to wait for another holder before going on unlocked; default 35 s (a refresh's 30 s timeout, and some). */
  waitMs?: number
}

/** Runs `work` holding the lock at `path` (see above); the lock is released however `work` ends. */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquire(path, options)
  try {
    return await work()
  } finally {
    await release()
  }
}

type Release = () => Promise<void>

const UNLOCKED: Release = async () => {}

async function acquire(path: string, options: LockOptions): Promise<Release> {
  const {waitMs = 35_000, staleMs = 60_000, pollMs = 25, log} = options
  const deadline = Date.now() + waitMs
  for (;;) {
    const created = await tryCreate(path)
    if (created === 'created') return () => releaseIfOurs(path)
    if (created === 'impossible') {
      log?.(`cannot create the lock ${path}; going on without it`)
      return UNLOCKED
    }

    if (await isStale(path, staleMs)) {
      log?.(`taking over the stale lock ${path}`)
      await rm(path, {force: true})
      continue
    }

    if (Date.now() >= deadline) {
      log?.(`the lock ${path} is still held after ${waitMs} ms; going on without it`)
      return UNLOCKED
    }

    await sleep(pollMs)
  }
}

async function tryCreate(path: string): Promise<'created' | 'held' | 'impossible'> {
  try {
    const handle = await open(path, 'wx', 0o600)
    try {
      await handle.writeFile(`${process.pid}\n`, 'utf8')
    } finally {
      await handle.close()
    }

    return 'created'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'held' : 'impossible'
  }
}

/** The pid in the lock file, or null when it cannot be read (gone, or being written). */
async function ownerOf(path: string): Promise<null | number> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10)
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Held by a process that is gone, or for longer than any holder should take. */
async function isStale(path: string, staleMs: number): Promise<boolean> {
  let modified: number
  try {
    modified = (await stat(path)).mtimeMs
  } catch {
    return false // released meanwhile: the next attempt takes it
  }

  if (Date.now() - modified > staleMs) return true
  const owner = await ownerOf(path)
  return owner !== null && owner !== process.pid && !isAlive(owner)
}

/** Removes the lock unless it is no longer ours (taken over as stale meanwhile). */
async function releaseIfOurs(path: string): Promise<void> {
  if ((await ownerOf(path)) === process.pid) await rm(path, {force: true})
}
