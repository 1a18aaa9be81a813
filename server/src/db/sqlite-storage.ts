import {join} from 'node:path'

import type {AuthStorage, HistoryStorage, JobProcess, ProcessStorage, Storage} from './storage.js'

import {ApiKeys} from '../auth/api-keys.js'
import {isFamilyRevoked, RefreshTokens} from '../auth/refresh-tokens.js'
import {UserStore} from '../auth/users.js'
import {FileIndex} from '../indexer/file-index.js'
import {JobArchive} from '../jobs/job-archive.js'
import {JobStore} from '../jobs/job-store.js'
import {windowFigures} from '../jobs/stats/window-figures.js'
import {RepoStore} from '../repos/repo-store.js'
import {type Db, openDatabase} from './database.js'

/** Git process groups of the one server's running jobs (`node` is always the server's own). */
class SqliteProcesses implements ProcessStorage {
  constructor(private readonly db: Db) {}

  add({pgid, job_id: jobId}: JobProcess): void {
    this.db.prepare('INSERT OR REPLACE INTO job_processes (pgid, job_id) VALUES (?, ?)').run(pgid, jobId)
  }

  clear(): void {
    this.db.prepare('DELETE FROM job_processes').run()
  }

  of(node: string): JobProcess[] {
    const rows = this.db.prepare('SELECT pgid, job_id FROM job_processes').all() as {job_id: string; pgid: number}[]
    return rows.map((row) => ({...row, node}))
  }

  remove(pgid: number): void {
    this.db.prepare('DELETE FROM job_processes WHERE pgid = ?').run(pgid)
  }
}

function sqliteAuth(db: Db, refreshTokenTtlSeconds: number): AuthStorage & {users: UserStore} {
  return {
    users: new UserStore(db),
    apiKeys: new ApiKeys(db),
    refreshTokens: new RefreshTokens(db, refreshTokenTtlSeconds),
    revoked: {
      isFamilyRevoked: (familyId) => isFamilyRevoked(db, familyId),
      isRevoked: (jti) => db.prepare('SELECT 1 FROM revoked_tokens WHERE jti = ?').get(jti) !== undefined,
      revoke(jti, expiresUs) {
        db.prepare('INSERT OR REPLACE INTO revoked_tokens (jti, expires_us) VALUES (?, ?)').run(jti, expiresUs)
      },
    },
  }
}

function sqliteHistory(db: Db, archiveDir: string): HistoryStorage {
  return {
    sweep(select) {
      // SQLite's reads answer at once, so the whole sweep is synchronous, as JobArchive wants it.
      return new JobArchive(db, archiveDir).sweep((limit) => {
        const rows = select(limit)
        if (rows instanceof Promise) throw new TypeError('A SQLite sweep reads its rows synchronously')
        return rows
      })
    },
    windowFigures: (query) => windowFigures(db, query),
  }
}

/** The SQLite storage with its concrete parts, which answer synchronously (the test helpers read them). */
export type SqliteStorage = Storage & {
  auth: AuthStorage & {users: UserStore}
  db: Db
  index: FileIndex
  jobs: JobStore
}

/** The single server's storage: one SQLite file in the data dir, and its archive folder. */
export function openSqliteStorage(dataDir: string, options: {refreshTokenTtlSeconds: number}): SqliteStorage {
  const db = openDatabase(dataDir)
  const index = new FileIndex(db)
  return {
    kind: 'sqlite',
    db,
    jobs: new JobStore(db),
    processes: new SqliteProcesses(db),
    index,
    repos: new RepoStore(db, index),
    auth: sqliteAuth(db, options.refreshTokenTtlSeconds),
    history: sqliteHistory(db, join(dataDir, 'archive')),
    close() {
      db.close()
    },
  }
}
