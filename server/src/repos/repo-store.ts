import type {Db} from '../db/database.js'
import type {RepoRef, RepoStorage} from '../db/storage.js'
import type {FileIndex} from '../indexer/file-index.js'

import {pythonIso, pythonIsoOrNull} from '../time.js'
import {indexKeyOf, indexKeys, redactUrls} from './layout.js'

export interface GoldenRepoRow {
  alias: string
  created_us: number
  default_branch: null | string
  description: null | string
  files_indexed: number
  head: null | string
  repo_url: string
  sync_base_head: null | string
  synced_us: null | number
}

export interface ActivatedRepoRow {
  branch: null | string
  created_us: number
  files_indexed: number
  golden_alias: string
  head: null | string
  sync_base_head: null | string
  synced_us: null | number
  user_alias: string
  username: string
}

/** Where a finished sync left a repository: the commit checked out, the files indexed, when. */
export interface SyncedState {
  filesIndexed: number
  head: string
  syncedUs: number
}

/** Golden repositories (admin-managed clones) and activated ones (per-user working copies). */
/** The repository rows in SQLite; a publication and its index rows go in one transaction. */
export class RepoStore implements RepoStorage {
  constructor(
    private readonly db: Db,
    private readonly index: FileIndex,
  ) {}

  activated(username: string, userAlias: string): ActivatedRepoRow | undefined {
    return this.db
      .prepare('SELECT * FROM activated_repos WHERE username = ? AND user_alias = ?')
      .get(username, userAlias) as ActivatedRepoRow | undefined
  }

  activatedOf(username: string): ActivatedRepoRow[] {
    return this.db
      .prepare('SELECT * FROM activated_repos WHERE username = ? ORDER BY user_alias')
      .all(username) as ActivatedRepoRow[]
  }

  allActivated(): ActivatedRepoRow[] {
    return this.db.prepare('SELECT * FROM activated_repos').all() as ActivatedRepoRow[]
  }

  allGolden(): GoldenRepoRow[] {
    return this.db.prepare('SELECT * FROM golden_repos ORDER BY alias').all() as GoldenRepoRow[]
  }

  deleteActivated(username: string, userAlias: string): void {
    this.db.prepare('DELETE FROM activated_repos WHERE username = ? AND user_alias = ?').run(username, userAlias)
  }

  deleteGolden(alias: string): void {
    this.db.prepare('DELETE FROM golden_repos WHERE alias = ?').run(alias)
  }

  forget(repo: RepoRef): void {
    this.db.transaction(() => {
      this.index.drop(indexKeyOf(repo))
      if (repo.kind === 'golden') this.deleteGolden(repo.alias)
      else this.deleteActivated(repo.username, repo.userAlias)
    })()
  }

  golden(alias: string): GoldenRepoRow | undefined {
    return this.db.prepare('SELECT * FROM golden_repos WHERE alias = ?').get(alias) as GoldenRepoRow | undefined
  }

  insertActivated(row: Omit<ActivatedRepoRow, 'sync_base_head' | 'synced_us'>): void {
    this.db
      .prepare(
        `INSERT INTO activated_repos (username, user_alias, golden_alias, branch, head, files_indexed, created_us)
         VALUES (@username, @user_alias, @golden_alias, @branch, @head, @files_indexed, @created_us)`,
      )
      .run(row)
  }

  insertGolden(row: Omit<GoldenRepoRow, 'sync_base_head' | 'synced_us'>): void {
    this.db
      .prepare(
        `INSERT INTO golden_repos (alias, repo_url, default_branch, description, head, files_indexed, created_us)
         VALUES (@alias, @repo_url, @default_branch, @description, @head, @files_indexed, @created_us)`,
      )
      .run(row)
  }

  markActivatedSynced(username: string, userAlias: string, {head, filesIndexed, syncedUs}: SyncedState): void {
    this.db
      .prepare(
        'UPDATE activated_repos SET head = ?, files_indexed = ?, synced_us = ?, sync_base_head = NULL WHERE username = ? AND user_alias = ?',
      )
      .run(head, filesIndexed, syncedUs, username, userAlias)
  }

  markGoldenSynced(alias: string, {head, filesIndexed, syncedUs}: SyncedState): void {
    this.db
      .prepare(
        'UPDATE golden_repos SET head = ?, files_indexed = ?, synced_us = ?, sync_base_head = NULL WHERE alias = ?',
      )
      .run(head, filesIndexed, syncedUs, alias)
  }

  publishActivated(stagingKey: string, row: Omit<ActivatedRepoRow, 'sync_base_head' | 'synced_us'>): void {
    this.db.transaction(() => {
      this.index.promote(stagingKey, indexKeys.activated(row.username, row.user_alias), [], true)
      this.insertActivated(row)
    })()
  }

  publishGolden(stagingKey: string, row: Omit<GoldenRepoRow, 'sync_base_head' | 'synced_us'>): void {
    this.db.transaction(() => {
      this.index.promote(stagingKey, indexKeys.golden(row.alias), [], true)
      this.insertGolden(row)
    })()
  }

  publishSync(
    stagingKey: string,
    repo: RepoRef,
    change: {removedPaths: string[]; replaceAll: boolean; synced: SyncedState},
  ): void {
    this.db.transaction(() => {
      this.index.promote(stagingKey, indexKeyOf(repo), change.removedPaths, change.replaceAll)
      if (repo.kind === 'golden') this.markGoldenSynced(repo.alias, change.synced)
      else this.markActivatedSynced(repo.username, repo.userAlias, change.synced)
    })()
  }

  setActivatedSyncBase(username: string, userAlias: string, head: null | string): void {
    this.db
      .prepare('UPDATE activated_repos SET sync_base_head = ? WHERE username = ? AND user_alias = ?')
      .run(head, username, userAlias)
  }

  /** Records (or clears) the commit a sync started from; see the schema for why. */
  setGoldenSyncBase(alias: string, head: null | string): void {
    this.db.prepare('UPDATE golden_repos SET sync_base_head = ? WHERE alias = ?').run(head, alias)
  }
}

export function goldenToWire(row: GoldenRepoRow): Record<string, unknown> {
  return {
    alias: row.alias,
    repo_url: redactUrls(row.repo_url),
    default_branch: row.default_branch,
    description: row.description,
    head: row.head,
    files_indexed: row.files_indexed,
    created_at: pythonIso(row.created_us),
    last_refreshed: pythonIsoOrNull(row.synced_us),
  }
}

export function activatedToWire(row: ActivatedRepoRow): Record<string, unknown> {
  return {
    user_alias: row.user_alias,
    golden_repo_alias: row.golden_alias,
    current_branch: row.branch,
    head: row.head,
    files_indexed: row.files_indexed,
    activated_at: pythonIso(row.created_us),
    last_synced: pythonIsoOrNull(row.synced_us),
  }
}
