import type pg from 'pg'

import type {IndexedText} from '../../indexer/file-index.js'
import type {ActivatedRepoRow, GoldenRepoRow, SyncedState} from '../../repos/repo-store.js'
import type {IndexStorage, RepoRef, RepoStorage} from '../storage.js'
import type {Migration} from './migrate.js'
import type {Queryable} from './transaction.js'

import {indexKeys} from '../../repos/layout.js'
import {searchableQuery, searchableText, storableText} from './search-text.js'
import {inTransaction} from './transaction.js'

/**
 * SQLite's repository tables, and the full-text index in one table: a row per (repository key,
 * path) with its hash, its text and the words of both as a `tsvector` under a GIN index.
 */
export const REPO_MIGRATIONS: readonly Migration[] = [
  {
    version: 30,
    sql: `
CREATE TABLE golden_repos (
  alias TEXT PRIMARY KEY,
  repo_url TEXT NOT NULL,
  default_branch TEXT,
  description TEXT,
  head TEXT,
  files_indexed INTEGER NOT NULL DEFAULT 0,
  created_us BIGINT NOT NULL,
  synced_us BIGINT,
  sync_base_head TEXT
);
CREATE TABLE activated_repos (
  username TEXT NOT NULL,
  user_alias TEXT NOT NULL,
  golden_alias TEXT NOT NULL,
  branch TEXT,
  head TEXT,
  files_indexed INTEGER NOT NULL DEFAULT 0,
  created_us BIGINT NOT NULL,
  synced_us BIGINT,
  sync_base_head TEXT,
  PRIMARY KEY (username, user_alias)
);
CREATE TABLE indexed_files (
  repo_key TEXT NOT NULL,
  path TEXT NOT NULL,
  sha TEXT NOT NULL,
  content TEXT NOT NULL,
  tsv TSVECTOR NOT NULL,
  PRIMARY KEY (repo_key, path)
);
CREATE INDEX indexed_files_tsv ON indexed_files USING GIN (tsv);
`,
  },
]

/** The index key of a repository. */
function keyOf(repo: RepoRef): string {
  return repo.kind === 'golden' ? indexKeys.golden(repo.alias) : indexKeys.activated(repo.username, repo.userAlias)
}

/** A new repository's index is its staged rows alone. */
const EVERYTHING = {removedPaths: [], replaceAll: true}

async function dropKey(db: Queryable, repoKey: string): Promise<void> {
  await db.query('DELETE FROM indexed_files WHERE repo_key = $1', [repoKey])
}

/**
 * FileIndex.promote: the repository's rows for staged or removed paths go (all of them with
 * `replaceAll`), then the staged rows are re-keyed. Run inside the caller's transaction.
 */
async function promote(
  db: Queryable,
  stagingKey: string,
  repoKey: string,
  change: {removedPaths: readonly string[]; replaceAll: boolean},
): Promise<void> {
  await (change.replaceAll
    ? dropKey(db, repoKey)
    : db.query(
        `DELETE FROM indexed_files WHERE repo_key = $1
           AND (path = ANY($3::text[]) OR path IN (SELECT path FROM indexed_files WHERE repo_key = $2))`,
        [repoKey, stagingKey, change.removedPaths],
      ))
  await db.query('UPDATE indexed_files SET repo_key = $1 WHERE repo_key = $2', [repoKey, stagingKey])
}

/** The full-text index on PostgreSQL, as the SQLite FileIndex keeps it on FTS5. */
export class PgIndexStorage implements IndexStorage {
  constructor(private readonly pool: pg.Pool) {}

  async drop(repoKey: string): Promise<void> {
    await dropKey(this.pool, repoKey)
  }

  /** Drops every staging area whose key starts with `prefix` (left behind by a crash). */
  async dropStagingAreas(prefix: string): Promise<void> {
    await this.pool.query('DELETE FROM indexed_files WHERE starts_with(repo_key, $1)', [prefix])
  }

  async keyCounts(): Promise<Record<string, number>> {
    const counts = await this.pool.query<{n: number; repo_key: string}>(
      'SELECT repo_key, count(*)::int AS n FROM indexed_files GROUP BY repo_key ORDER BY repo_key COLLATE "C"',
    )
    return Object.fromEntries(counts.rows.map((row) => [row.repo_key, row.n]))
  }

  /** Paths of a repository whose text matches the words of `query`, best first (ties by path). */
  async search(repoKey: string, query: string, limit: number): Promise<string[]> {
    const found = await this.pool.query<{path: string}>(
      `SELECT path FROM indexed_files, websearch_to_tsquery('simple', $2) AS query
        WHERE repo_key = $1 AND tsv @@ query
        ORDER BY ts_rank(tsv, query) DESC, path COLLATE "C" LIMIT $3`,
      [repoKey, searchableQuery(query), limit],
    )
    return found.rows.map((row) => row.path)
  }

  async shas(repoKey: string): Promise<Map<string, string>> {
    const found = await this.pool.query<{path: string; sha: string}>(
      'SELECT path, sha FROM indexed_files WHERE repo_key = $1',
      [repoKey],
    )
    return new Map(found.rows.map((row) => [row.path, row.sha]))
  }

  /** Writes one batch in one statement: all of it or none of it. A path given twice keeps its last text. */
  async stage(stagingKey: string, files: IndexedText[]): Promise<void> {
    // ON CONFLICT cannot touch one row twice in a statement, so repeats are settled here first.
    const batch = [...new Map(files.map((file) => [file.path, file])).values()]
    if (batch.length === 0) return
    await this.pool.query(
      `INSERT INTO indexed_files (repo_key, path, sha, content, tsv)
       SELECT $1, f.path, f.sha, f.content, to_tsvector('simple', f.words)
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS f(path, sha, content, words)
       ON CONFLICT (repo_key, path) DO UPDATE SET sha = EXCLUDED.sha, content = EXCLUDED.content, tsv = EXCLUDED.tsv`,
      [
        stagingKey,
        batch.map((file) => file.path),
        batch.map((file) => file.sha),
        batch.map((file) => storableText(file.text)),
        batch.map((file) => searchableText(file.path, file.text)),
      ],
    )
  }
}

type NewGolden = Omit<GoldenRepoRow, 'sync_base_head' | 'synced_us'>
type NewActivated = Omit<ActivatedRepoRow, 'sync_base_head' | 'synced_us'>

/** Golden and activated repositories on PostgreSQL, published together with their index rows. */
export class PgRepoStorage implements RepoStorage {
  constructor(private readonly pool: pg.Pool) {}

  async activated(username: string, userAlias: string): Promise<ActivatedRepoRow | undefined> {
    const found = await this.pool.query<ActivatedRepoRow>(
      'SELECT * FROM activated_repos WHERE username = $1 AND user_alias = $2',
      [username, userAlias],
    )
    return found.rows[0]
  }

  async activatedOf(username: string): Promise<ActivatedRepoRow[]> {
    const found = await this.pool.query<ActivatedRepoRow>(
      'SELECT * FROM activated_repos WHERE username = $1 ORDER BY user_alias COLLATE "C"',
      [username],
    )
    return found.rows
  }

  /** In SQLite's order (its primary key's, as that table has no rowid). */
  async allActivated(): Promise<ActivatedRepoRow[]> {
    const found = await this.pool.query<ActivatedRepoRow>(
      'SELECT * FROM activated_repos ORDER BY username COLLATE "C", user_alias COLLATE "C"',
    )
    return found.rows
  }

  async allGolden(): Promise<GoldenRepoRow[]> {
    const found = await this.pool.query<GoldenRepoRow>('SELECT * FROM golden_repos ORDER BY alias COLLATE "C"')
    return found.rows
  }

  async forget(repo: RepoRef): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await dropKey(client, keyOf(repo))
      await (repo.kind === 'golden'
        ? client.query('DELETE FROM golden_repos WHERE alias = $1', [repo.alias])
        : client.query('DELETE FROM activated_repos WHERE username = $1 AND user_alias = $2', [
            repo.username,
            repo.userAlias,
          ]))
    })
  }

  async golden(alias: string): Promise<GoldenRepoRow | undefined> {
    const found = await this.pool.query<GoldenRepoRow>('SELECT * FROM golden_repos WHERE alias = $1', [alias])
    return found.rows[0]
  }

  async publishActivated(stagingKey: string, row: NewActivated): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await promote(client, stagingKey, indexKeys.activated(row.username, row.user_alias), EVERYTHING)
      await client.query(
        `INSERT INTO activated_repos (username, user_alias, golden_alias, branch, head, files_indexed, created_us)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [row.username, row.user_alias, row.golden_alias, row.branch, row.head, row.files_indexed, row.created_us],
      )
    })
  }

  async publishGolden(stagingKey: string, row: NewGolden): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await promote(client, stagingKey, indexKeys.golden(row.alias), EVERYTHING)
      await client.query(
        `INSERT INTO golden_repos (alias, repo_url, default_branch, description, head, files_indexed, created_us)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [row.alias, row.repo_url, row.default_branch, row.description, row.head, row.files_indexed, row.created_us],
      )
    })
  }

  async publishSync(
    stagingKey: string,
    repo: RepoRef,
    change: {removedPaths: string[]; replaceAll: boolean; synced: SyncedState},
  ): Promise<void> {
    const {filesIndexed, head, syncedUs} = change.synced
    await inTransaction(this.pool, async (client) => {
      await promote(client, stagingKey, keyOf(repo), change)
      await (repo.kind === 'golden'
        ? client.query(
            'UPDATE golden_repos SET head = $1, files_indexed = $2, synced_us = $3, sync_base_head = NULL WHERE alias = $4',
            [head, filesIndexed, syncedUs, repo.alias],
          )
        : client.query(
            `UPDATE activated_repos SET head = $1, files_indexed = $2, synced_us = $3, sync_base_head = NULL
              WHERE username = $4 AND user_alias = $5`,
            [head, filesIndexed, syncedUs, repo.username, repo.userAlias],
          ))
    })
  }

  async setActivatedSyncBase(username: string, userAlias: string, head: null | string): Promise<void> {
    await this.pool.query('UPDATE activated_repos SET sync_base_head = $1 WHERE username = $2 AND user_alias = $3', [
      head,
      username,
      userAlias,
    ])
  }

  /** Records (or clears) the commit a sync started from, so a crash between merge and commit can be repaired. */
  async setGoldenSyncBase(alias: string, head: null | string): Promise<void> {
    await this.pool.query('UPDATE golden_repos SET sync_base_head = $1 WHERE alias = $2', [head, alias])
  }
}
