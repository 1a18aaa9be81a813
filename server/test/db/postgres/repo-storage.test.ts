import type pg from 'pg'

import {expect} from 'chai'
import {createHash} from 'node:crypto'

import type {IndexedText} from '../../../src/indexer/file-index.js'

import {migrate} from '../../../src/db/postgres/migrate.js'
import {PgIndexStorage, PgRepoStorage, REPO_MIGRATIONS} from '../../../src/db/postgres/repo-storage.js'
import {usePostgres} from '../../support/postgres.js'

function file(path: string, text: string, sha = `sha-of-${path}`): IndexedText {
  return {path, sha, text}
}

function golden(alias: string, filesIndexed = 1) {
  return {
    alias,
    repo_url: `https://example.test/${alias}.git`,
    default_branch: 'main',
    description: null,
    head: 'c0ffee',
    files_indexed: filesIndexed,
    created_us: 1_700_000_000_000_001,
  }
}

describe('server: PostgreSQL repositories and full-text index', () => {
  const postgres = usePostgres()
  let pool: pg.Pool
  let index: PgIndexStorage
  let repos: PgRepoStorage

  before(async () => {
    pool = postgres.pool(4)
    expect(await migrate(pool, REPO_MIGRATIONS)).to.deep.equal([30])
    index = new PgIndexStorage(pool)
    repos = new PgRepoStorage(pool)
  })

  beforeEach(async () => {
    await pool.query('TRUNCATE indexed_files, golden_repos, activated_repos')
  })

  describe('the index', () => {
    it('stages a batch all or nothing: one bad file leaves none of it', async () => {
      const bad = {path: 'b.md', sha: null, text: 'kiwi'} as unknown as IndexedText
      const failure = await index.stage('staging/j1', [file('a.md', 'kiwi'), bad]).then(
        () => 'staged',
        (error: Error) => error.message,
      )
      expect(failure).to.match(/null value in column "sha"/)
      expect(await index.keyCounts()).to.deep.equal({})
      await index.stage('staging/j1', [file('a.md', 'old', 's1'), file('a.md', 'kiwi', 's2')])
      await index.stage('staging/j1', [file('c.md', 'kiwi')])
      expect(await index.shas('staging/j1')).to.deep.equal(
        new Map([
          ['a.md', 's2'],
          ['c.md', 'sha-of-c.md'],
        ]),
      )
    })

    it('finds words as FTS5 does: in paths and text, across punctuation, case and accents', async () => {
      await index.stage('golden/demo', [
        file('src/main.ts', 'export const greeting = hello.world_wide'),
        file('docs/Cafe.md', 'Crème brûlée at the CAFÉ, kiwi-fruit'),
        file('notes.txt', 'this or that, nothing else'),
      ])
      const search = (query: string) => index.search('golden/demo', query, 10)
      expect(await search('main')).to.deep.equal(['src/main.ts'])
      expect(await search('hello wide')).to.deep.equal(['src/main.ts'])
      expect(await search('creme cafe')).to.deep.equal(['docs/Cafe.md'])
      expect(await search('KIWI')).to.deep.equal(['docs/Cafe.md'])
      expect(await search('"kiwi fruit"')).to.deep.equal(['docs/Cafe.md'])
      expect(await search('"fruit kiwi"')).to.deep.equal([])
      expect(await search('greeting OR nothing')).to.deep.equal(['notes.txt', 'src/main.ts'])
      expect(await search('or')).to.deep.equal(['notes.txt'])
      expect(await search('greeting or export')).to.deep.equal([])
      expect(await search('md -kiwi')).to.deep.equal([])
      expect(await search('absent')).to.deep.equal([])
      expect(await index.search('golden/other', 'main', 10)).to.deep.equal([])
    })

    it('ranks the better match first and stops at the limit', async () => {
      await index.stage('golden/demo', [
        file('once.md', 'apple and many other words that are not that fruit at all'),
        file('often.md', 'apple apple apple'),
        file('never.md', 'pear'),
      ])
      expect(await index.search('golden/demo', 'apple', 10)).to.deep.equal(['often.md', 'once.md'])
      expect(await index.search('golden/demo', 'apple', 1)).to.deep.equal(['often.md'])
    })

    it('keeps a text with NUL in it, which PostgreSQL text cannot hold as it is', async () => {
      await index.stage('golden/demo', [file('odd.txt', 'before\u0000after')])
      expect(await index.search('golden/demo', 'after', 10)).to.deep.equal(['odd.txt'])
    })

    it('indexes a text with more distinct words than a tsvector holds: the words that fit are found', async () => {
      const hashes = Array.from({length: 25_000}, (_, at) => createHash('sha1').update(String(at)).digest('hex'))
      await index.stage('golden/demo', [file('SHA1SUMS', hashes.join('\n')), file('small.md', 'kiwi')])
      expect(await index.search('golden/demo', hashes[0], 10)).to.deep.equal(['SHA1SUMS'])
      expect(await index.search('golden/demo', hashes[20_000], 10)).to.deep.equal(['SHA1SUMS'])
      expect(await index.search('golden/demo', hashes[24_999], 10)).to.deep.equal([])
      expect(await index.search('golden/demo', 'kiwi', 10)).to.deep.equal(['small.md'])
    })

    it('drops one key, or every staging area by prefix, and nothing else', async () => {
      await index.stage('staging/j1', [file('a.md', 'one')])
      await index.stage('staging/j2', [file('a.md', 'two'), file('b.md', 'two')])
      await index.stage('golden/staging', [file('a.md', 'kept')])
      await index.stage('user/alice/mine', [file('a.md', 'kept')])
      await index.drop('user/alice/mine')
      expect(await index.keyCounts()).to.deep.equal({'golden/staging': 1, 'staging/j1': 1, 'staging/j2': 2})
      await index.dropStagingAreas('staging/')
      expect(await index.keyCounts()).to.deep.equal({'golden/staging': 1})
    })
  })

  describe('publishing', () => {
    it('publishes a golden repository: its staged rows and its row at once', async () => {
      await index.stage('staging/j1', [file('README.md', 'kiwi'), file('src/a.ts', 'apple')])
      await repos.publishGolden('staging/j1', golden('demo', 2))
      expect(await index.keyCounts()).to.deep.equal({'golden/demo': 2})
      expect(await index.search('golden/demo', 'kiwi', 10)).to.deep.equal(['README.md'])
      expect(await repos.golden('demo')).to.deep.equal({...golden('demo', 2), synced_us: null, sync_base_head: null})
    })

    it('leaves the index as it was when the row cannot be recorded (a golden alias taken)', async () => {
      await index.stage('staging/j1', [file('README.md', 'kiwi')])
      await repos.publishGolden('staging/j1', golden('demo'))
      await index.stage('staging/j2', [file('other.md', 'banana')])
      const failure = await repos.publishGolden('staging/j2', golden('demo')).then(
        () => 'published',
        (error: Error) => error.message,
      )
      expect(failure).to.match(/duplicate key value violates unique constraint "golden_repos_pkey"/)
      expect(await index.keyCounts()).to.deep.equal({'golden/demo': 1, 'staging/j2': 1})
      expect(await index.search('golden/demo', 'kiwi', 10)).to.deep.equal(['README.md'])
      expect(await repos.allGolden()).to.have.length(1)
    })

    it('publishes an activated repository under its user and alias', async () => {
      await index.stage('staging/j1', [file('a.md', 'cherry')])
      const row = {
        username: 'alice',
        user_alias: 'mine',
        golden_alias: 'demo',
        branch: 'main',
        head: 'c0ffee',
        files_indexed: 1,
        created_us: 5,
      }
      await repos.publishActivated('staging/j1', row)
      expect(await index.search('user/alice/mine', 'cherry', 10)).to.deep.equal(['a.md'])
      expect(await repos.activated('alice', 'mine')).to.deep.equal({...row, synced_us: null, sync_base_head: null})
      expect(await repos.activated('bob', 'mine')).to.equal(undefined)
    })

    it('syncs: changed and removed paths are replaced, the others kept, and the row records the head', async () => {
      await index.stage('staging/j1', [file('keep.md', 'apple'), file('change.md', 'pear'), file('gone.md', 'plum')])
      await repos.publishGolden('staging/j1', golden('demo', 3))
      await repos.setGoldenSyncBase('demo', 'c0ffee')
      expect((await repos.golden('demo'))?.sync_base_head).to.equal('c0ffee')
      await index.stage('staging/j2', [file('change.md', 'banana', 'new-sha'), file('new.md', 'banana')])
      const synced = {head: 'beef', filesIndexed: 3, syncedUs: 42}
      await repos.publishSync(
        'staging/j2',
        {kind: 'golden', alias: 'demo'},
        {removedPaths: ['gone.md'], replaceAll: false, synced},
      )
      expect(await index.shas('golden/demo')).to.deep.equal(
        new Map([
          ['change.md', 'new-sha'],
          ['keep.md', 'sha-of-keep.md'],
          ['new.md', 'sha-of-new.md'],
        ]),
      )
      expect(await index.search('golden/demo', 'pear', 10)).to.deep.equal([])
      expect(await index.keyCounts()).to.deep.equal({'golden/demo': 3})
      expect(await repos.golden('demo')).to.include({
        head: 'beef',
        files_indexed: 3,
        synced_us: 42,
        sync_base_head: null,
      })
    })

    it('syncs with replaceAll: only the staged rows remain', async () => {
      const repo = {kind: 'activated', username: 'alice', userAlias: 'mine'} as const
      await index.stage('staging/j1', [file('a.md', 'apple'), file('b.md', 'pear')])
      await repos.publishActivated('staging/j1', {
        username: 'alice',
        user_alias: 'mine',
        golden_alias: 'demo',
        branch: null,
        head: 'c0ffee',
        files_indexed: 2,
        created_us: 5,
      })
      await repos.setActivatedSyncBase('alice', 'mine', 'c0ffee')
      await index.stage('staging/j2', [file('c.md', 'fig')])
      const synced = {head: 'beef', filesIndexed: 1, syncedUs: 7}
      await repos.publishSync('staging/j2', repo, {removedPaths: [], replaceAll: true, synced})
      expect([...(await index.shas('user/alice/mine')).keys()]).to.deep.equal(['c.md'])
      expect(await repos.activated('alice', 'mine')).to.include({head: 'beef', synced_us: 7, sync_base_head: null})
    })

    it('forgets a repository: its index rows and its row, no other', async () => {
      for (const alias of ['one', 'two']) {
        await index.stage(`staging/${alias}`, [file('a.md', 'apple')])
        await repos.publishGolden(`staging/${alias}`, golden(alias))
      }

      await repos.forget({kind: 'golden', alias: 'one'})
      expect(await index.keyCounts()).to.deep.equal({'golden/two': 1})
      expect((await repos.allGolden()).map((row) => row.alias)).to.deep.equal(['two'])
    })
  })

  describe('reading repositories', () => {
    it('lists in the SQLite order: bytewise, upper case first', async () => {
      for (const alias of ['b', 'B', 'a'])
        await pool.query(`INSERT INTO golden_repos (alias, repo_url, created_us) VALUES ($1, 'u', 1)`, [alias])
      for (const [username, alias] of [
        ['bob', 'x'],
        ['alice', 'z'],
        ['alice', 'Y'],
      ])
        await pool.query(
          `INSERT INTO activated_repos (username, user_alias, golden_alias, created_us) VALUES ($1, $2, 'a', 1)`,
          [username, alias],
        )
      expect((await repos.allGolden()).map((row) => row.alias)).to.deep.equal(['B', 'a', 'b'])
      expect((await repos.activatedOf('alice')).map((row) => row.user_alias)).to.deep.equal(['Y', 'z'])
      const all = (await repos.allActivated()).map((row) => `${row.username}/${row.user_alias}`)
      expect(all).to.deep.equal(['alice/Y', 'alice/z', 'bob/x'])
      expect(await repos.activatedOf('carol')).to.deep.equal([])
    })
  })
})
