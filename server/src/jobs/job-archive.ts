import {closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, truncateSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import type {Db} from '../db/database.js'

import {type JobRow, toWireJob} from './job-row.js'

/** Jobs archived and deleted per step: one gzip member and one transaction each. */
export const BATCH_SIZE = 500

/** The archive file a job removed at this time goes to: one a month (UTC), e.g. `jobs-2026-12.ndjson.gz`. */
export function archiveFileName(at: Date): string {
  return `jobs-${at.toISOString().slice(0, 7)}.ndjson.gz`
}

interface Intent {
  file: string
  size: number
}

/**
 * Removes jobs only after they are safely in a compressed NDJSON archive. Each batch is one gzip
 * member appended to the month's file (gzip readers read concatenated members as one stream).
 * Before it appends, it records in SQLite the file and its size (the intent); the batch's DELETE
 * and the removal of the intent are one transaction. A crash before that commit leaves the jobs
 * and the intent: the next sweep truncates the file back to the recorded size (dropping the batch,
 * whole or torn) and archives the jobs again. After the commit the jobs are gone and archived once.
 */
export class JobArchive {
  constructor(
    private readonly db: Db,
    private readonly dir: string,
  ) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS job_archive_intent (id INTEGER PRIMARY KEY CHECK (id = 1), file TEXT NOT NULL, size INTEGER NOT NULL)',
    )
  }

  /** Archives then deletes every row `select` returns, batch after batch, until it returns none; returns how many went. */
  sweep(select: (limit: number) => JobRow[], now: () => Date = () => new Date()): number {
    this.undoUnfinishedBatch()
    let removed = 0
    for (;;) {
      const rows = select(BATCH_SIZE)
      if (rows.length === 0) return removed
      this.archiveAndDelete(rows, archiveFileName(now()))
      removed += rows.length
    }
  }

  private archiveAndDelete(rows: JobRow[], file: string): void {
    mkdirSync(this.dir, {recursive: true})
    const path = join(this.dir, file)
    const created = !existsSync(path)
    const fd = openSync(path, 'a')
    try {
      this.db
        .prepare('INSERT OR REPLACE INTO job_archive_intent (id, file, size) VALUES (1, ?, ?)')
        .run(file, fstatSync(fd).size)
      appendBatch(fd, rows)
    } finally {
      closeSync(fd)
    }

    if (created) syncDirectory(this.dir)
    const remove = this.db.prepare('DELETE FROM jobs WHERE job_id = ?')
    this.db.transaction(() => {
      for (const row of rows) remove.run(row.job_id)
      this.db.prepare('DELETE FROM job_archive_intent').run()
    })()
  }

  /** After a crash mid-batch: cut the archive back to before that batch, whose jobs are still stored. */
  private undoUnfinishedBatch(): void {
    const intent = this.db.prepare('SELECT file, size FROM job_archive_intent').get() as Intent | undefined
    if (intent === undefined) return
    cutBack(join(this.dir, intent.file), intent.size)
    this.db.prepare('DELETE FROM job_archive_intent').run()
  }
}

/** Appends the jobs as one durable gzip member of NDJSON lines (the wire job, phase included). */
export function appendBatch(fd: number, rows: readonly JobRow[]): void {
  const lines = rows.map((row) => `${JSON.stringify(toWireJob(row, true))}\n`).join('')
  writeSync(fd, gzipSync(lines))
  fsyncSync(fd)
}

/** Cuts an archive file back to `size` bytes, durably; a file that is gone has nothing to cut. */
export function cutBack(path: string, size: number): void {
  if (!existsSync(path)) return
  truncateSync(path, size)
  const fd = openSync(path, 'r+')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** Makes a new file's directory entry durable, so the archive itself survives a crash. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
