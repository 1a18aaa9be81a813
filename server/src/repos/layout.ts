import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import type {RepoRef} from '../db/storage.js'

/** Letters, digits, `-` and `_`, at most 100: no `..`, `/`, `\` or absolute paths can get through. */
export const ALIAS_PATTERN = '^[A-Za-z0-9_-]{1,100}$'

/** Branch names as git allows them, minus anything git could read as an option or a path escape. */
export const BRANCH_PATTERN = String.raw`^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}$`

const REPO_URL_PREFIXES = /^(https?:\/\/|git@|file:\/\/|\/)/

/** Why a repository URL is refused, or null when git may be given it (always after `--`). */
export function repoUrlProblem(url: string): null | string {
  if (url.startsWith('-')) return 'Repository URL must not start with "-"'
  // eslint-disable-next-line no-control-regex -- control characters are what this check refuses
  if (/[\s\u0000-\u001F]/.test(url)) return 'Repository URL must not contain whitespace or control characters'
  if (!REPO_URL_PREFIXES.test(url))
    return 'Repository URL must start with http://, https://, git@, file:// or be an absolute path'
  return null
}

/** The userinfo of a URL: everything up to the last `@` before the path, query or fragment (a password may hold an `@`). */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi
/** Query parameters whose names say their values are secrets: `token`, `access_token`, `password`, `api_key`, `sig`... */
const SECRET_PARAMETER =
  /([?&;][\w.-]*?(?:token|pass(?:word|wd)?|pwd|secret|key|auth|sig(?:nature)?|credential)[\w.-]*=)[^&;#\s'"]*/gi

/**
 * Hides credentials in URLs: `https://user:p@ss@host` becomes `https://***@host`, and
 * `?token=SECRET` becomes `?token=***`. Anything shown of a repository URL goes through here.
 */
export function redactUrls(text: string): string {
  return text.replaceAll(URL_USERINFO, '$1***@').replaceAll(SECRET_PARAMETER, '$1***')
}

/** Where things live under the data dir. Every name in a path has passed ALIAS/USERNAME patterns. */
export class DataLayout {
  constructor(readonly dataDir: string) {}

  get activatedRoot(): string {
    return join(this.dataDir, 'activated')
  }

  get goldenRoot(): string {
    return join(this.dataDir, 'golden')
  }

  /** Clones are made here and renamed into place only when the job succeeds. */
  get tmpRoot(): string {
    return join(this.dataDir, 'tmp')
  }

  /** Removed working copies are renamed here first, so the removal itself is atomic. */
  get trashRoot(): string {
    return join(this.dataDir, 'trash')
  }

  activated(username: string, userAlias: string): string {
    return join(this.activatedRoot, username, userAlias)
  }

  ensure(): void {
    for (const dir of [this.goldenRoot, this.activatedRoot, this.tmpRoot, this.trashRoot])
      mkdirSync(dir, {recursive: true})
  }

  golden(alias: string): string {
    return join(this.goldenRoot, alias)
  }

  tmpFor(jobId: string): string {
    return join(this.tmpRoot, jobId)
  }

  trashFor(jobId: string): string {
    return join(this.trashRoot, jobId)
  }
}

/** Keys of the full-text index: one per repository, one staging area per job. */
export const indexKeys = {
  golden: (alias: string) => `golden/${alias}`,
  activated: (username: string, userAlias: string) => `user/${username}/${userAlias}`,
  staging: (jobId: string) => `staging/${jobId}`,
  stagingPrefix: 'staging/',
}

/** A repository's key in the full-text index. */
export function indexKeyOf(repo: RepoRef): string {
  return repo.kind === 'golden' ? indexKeys.golden(repo.alias) : indexKeys.activated(repo.username, repo.userAlias)
}
