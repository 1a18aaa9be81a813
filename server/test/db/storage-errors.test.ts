import Database from 'better-sqlite3'
import {expect} from 'chai'

import {storageErrnoInText, StorageError, storageFailureMessage, storageFault} from '../../src/db/storage-errors.js'
import {GitError} from '../../src/git/run-git.js'

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed, open '/data/dir/file'`), {code})
}

describe('server: what counts as a storage error', () => {
  it('classifies SQLite result codes, errno codes and git failures in one place', () => {
    const cases: [unknown, null | string][] = [
      [Object.assign(new Error('database is locked'), {code: 'SQLITE_BUSY'}), 'busy'],
      [Object.assign(new Error('database table is locked'), {code: 'SQLITE_LOCKED_SHAREDCACHE'}), 'busy'],
      [Object.assign(new Error('database or disk is full'), {code: 'SQLITE_FULL'}), 'full'],
      [Object.assign(new Error('disk I/O error'), {code: 'SQLITE_IOERR_WRITE'}), 'io'],
      [Object.assign(new Error('attempt to write a readonly database'), {code: 'SQLITE_READONLY_DBMOVED'}), 'io'],
      [errnoError('ENOSPC'), 'full'],
      [errnoError('EDQUOT'), 'full'],
      [errnoError('EIO'), 'io'],
      [new GitError("fatal: could not write '/data/tmp/x': No space left on device", 128), 'full'],
      [new GitError('fatal: repository not found', 128), null],
      [new StorageError('full', 'less than 1 MiB free'), 'full'],
      [Object.assign(new Error('UNIQUE constraint failed'), {code: 'SQLITE_CONSTRAINT_UNIQUE'}), null],
      [errnoError('ENOENT'), null],
      [new Error('plain'), null],
      ['not an error', null],
      [undefined, null],
    ]
    for (const [error, fault] of cases)
      expect(storageFault(error), String((error as Error)?.message ?? error)).to.equal(fault)
  })

  it('recognises a real SQLITE_FULL from better-sqlite3', () => {
    const db = new Database(':memory:')
    try {
      db.exec('CREATE TABLE t (v TEXT)')
      db.pragma(`max_page_count = ${db.pragma('page_count', {simple: true}) as number}`)
      let thrown: unknown
      try {
        db.prepare('INSERT INTO t (v) VALUES (?)').run('x'.repeat(100_000))
      } catch (error) {
        thrown = error
      }

      expect(storageFault(thrown)).to.equal('full')
      expect(storageFailureMessage(thrown)).to.equal('Storage full: database or disk is full')
    } finally {
      db.close()
    }
  })

  it('finds the errno git names in words, case aside, and nothing in other output', () => {
    expect(storageErrnoInText('error: unable to write file: no space left on device')).to.equal('ENOSPC')
    expect(storageErrnoInText('fatal: write error: Disk quota exceeded')).to.equal('EDQUOT')
    expect(storageErrnoInText('fatal: unable to read tree: Input/output error')).to.equal('EIO')
    expect(storageErrnoInText('fatal: index-pack failed')).to.equal(undefined)
  })
})
