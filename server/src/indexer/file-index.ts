import type {Db} from '../db/database.js'

export interface IndexedText {
  path: string
  sha: string
  text: string
}

/**
 * The SQLite FTS5 index. `indexed_files` maps (repository key, path) to a row of `file_text`.
 * Jobs write into a staging key and `promote` moves the rows in one transaction, so a cancelled
 * or failed job never leaves a half-updated repository index.
 */
export class FileIndex {
  constructor(private readonly db: Db) {}

  /** Deletes a repository's (or a staging area's) rows. */
  drop(repoKey: string): void {
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM file_text WHERE rowid IN (SELECT text_rowid FROM indexed_files WHERE repo_key = ?)')
        .run(repoKey)
      this.db.prepare('DELETE FROM indexed_files WHERE repo_key = ?').run(repoKey)
    })()
  }

  /** Drops every staging area whose prefix matches (left behind by a crash). */
  dropStagingAreas(prefix: string): void {
    const keys = this.db
      .prepare('SELECT DISTINCT repo_key FROM indexed_files WHERE repo_key >= ? AND repo_key < ?')
      .all(prefix, prefix + '\uFFFF') as {
      repo_key: string
    }[]
    for (const {repo_key: key} of keys) this.drop(key)
  }

  /** Rows per repository key (tests check that no staging rows were left behind). */
  keyCounts(): Record<string, number> {
    const rows = this.db.prepare('SELECT repo_key, COUNT(*) AS n FROM indexed_files GROUP BY repo_key').all() as {
      n: number
      repo_key: string
    }[]
    return Object.fromEntries(rows.map((row) => [row.repo_key, row.n]))
  }

  /**
   * Makes the staged rows the repository's: the repository's rows for staged or removed paths go
   * (all its rows when `replaceAll`), then the staged rows are re-keyed. Call inside a transaction
   * together with the repository's own bookkeeping.
   */
  promote(stagingKey: string, repoKey: string, removedPaths: Iterable<string>, replaceAll: boolean): void {
    if (replaceAll) {
      this.drop(repoKey)
    } else {
      const stagedPaths = (
        this.db.prepare('SELECT path FROM indexed_files WHERE repo_key = ?').all(stagingKey) as {path: string}[]
      ).map((row) => row.path)
      this.deletePaths(repoKey, [...stagedPaths, ...removedPaths])
    }

    this.db.prepare('UPDATE indexed_files SET repo_key = ? WHERE repo_key = ?').run(repoKey, stagingKey)
  }

  /** Paths of a repository whose text matches an FTS5 query. */
  search(repoKey: string, query: string, limit: number): string[] {
    const rows = this.db
      .prepare(
        `SELECT f.path FROM file_text t JOIN indexed_files f ON f.text_rowid = t.rowid
         WHERE file_text MATCH ? AND f.repo_key = ? ORDER BY rank LIMIT ?`,
      )
      .all(query, repoKey, limit) as {path: string}[]
    return rows.map((row) => row.path)
  }

  shas(repoKey: string): Map<string, string> {
    const rows = this.db.prepare('SELECT path, sha FROM indexed_files WHERE repo_key = ?').all(repoKey) as {
      path: string
      sha: string
    }[]
    return new Map(rows.map((row) => [row.path, row.sha]))
  }

  /** Writes one batch in one transaction: all of it or none of it. */
  stage(stagingKey: string, files: IndexedText[]): void {
    const insertText = this.db.prepare('INSERT INTO file_text (path, content) VALUES (?, ?)')
    const insertFile = this.db.prepare(
      'INSERT OR REPLACE INTO indexed_files (repo_key, path, sha, text_rowid) VALUES (?, ?, ?, ?)',
    )
    this.db.transaction(() => {
      for (const file of files) {
        const {lastInsertRowid} = insertText.run(file.path, file.text)
        insertFile.run(stagingKey, file.path, file.sha, lastInsertRowid)
      }
    })()
  }

  private deletePaths(repoKey: string, paths: string[]): void {
    const selectRowid = this.db.prepare('SELECT text_rowid FROM indexed_files WHERE repo_key = ? AND path = ?')
    const deleteText = this.db.prepare('DELETE FROM file_text WHERE rowid = ?')
    const deleteFile = this.db.prepare('DELETE FROM indexed_files WHERE repo_key = ? AND path = ?')
    for (const path of paths) {
      const row = selectRowid.get(repoKey, path) as undefined | {text_rowid: number}
      if (!row) continue
      deleteText.run(row.text_rowid)
      deleteFile.run(repoKey, path)
    }
  }
}
