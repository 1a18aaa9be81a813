import Database from 'better-sqlite3'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** Another live process holds the data dir: a second server would wreck its running jobs. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: null | number,
  ) {
    super(`Data dir ${dataDir} is in use by another CIDX local server (pid ${holderPid ?? 'unknown'})`)
  }
}

export interface DataDirLock {
  release(): void
}

function readHolderPid(pidFile: string): null | number {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/**
 * Holds the data dir for this process, or throws DataDirLockedError. The lock is SQLite's own
 * exclusive lock on `server.lock` (an fcntl lock): the kernel drops it when its process ends,
 * however it ends (kill -9 included), so a dead holder's lock is free at once and no recycled
 * pid can pass for a live holder. `server.pid` only names the holder in the error.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const pidFile = join(dataDir, 'server.pid')
  const lock = new Database(join(dataDir, 'server.lock'), {timeout: 0})
  try {
    lock.pragma('locking_mode = EXCLUSIVE')
    // Nothing in it to protect: no journal file, so taking the lock writes nothing (a full disk allows it).
    lock.pragma('journal_mode = OFF')
    lock.exec('BEGIN EXCLUSIVE')
  } catch (error) {
    lock.close()
    if ((error as {code?: unknown}).code === 'SQLITE_BUSY')
      throw new DataDirLockedError(dataDir, readHolderPid(pidFile))
    throw error
  }

  // A stale file would name a dead process; a new one that cannot be written (full disk) only
  // leaves a second instance's message without the pid, which is no reason to refuse to start.
  rmSync(pidFile, {force: true})
  try {
    writeFileSync(pidFile, `${process.pid}\n`)
  } catch {}

  return {
    release() {
      if (readHolderPid(pidFile) === process.pid) rmSync(pidFile, {force: true})
      lock.close()
    },
  }
}
