import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Credentials} from '../auth/credentials.js'
import type {Job} from '../jobs/job.js'

import {jwtClaims} from '../auth/jwt.js'
import {normalizeServerUrlOrNull} from '../auth/server-url.js'
import {writePrivateFileAtomic} from '../support/private-file.js'

/**
 * The job IDs a user saw lately on a server (every command that learns a job's status writes
 * them), kept in the config dir so that shell completion can offer them without asking the
 * server (a TAB never waits on the network), and so that a prefix can name a job the server no
 * longer lists (jobs/job-id.ts). One file per server and user: the IDs of one server are no
 * candidates on another, nor one user's for another. It is a cache: losing it, or an entry,
 * costs nothing but a completion.
 */
export interface RecentJob {
  job_id: string
  job_type: string
  /** The job's repository, when the server named one that is a safe word (see below). */
  repository?: string
  /** The status when the job was last seen; it may have moved on since. */
  status: string
}

/** Whose cache: the normalized server URL and the user name (no secret: a token is never part of it). */
export interface IdCacheKey {
  server: string
  /** '' when the credentials name nobody (an opaque API key): such keys share one cache per server. */
  user: string
}

/** Enough for the jobs a person works with; keeps the file (and each TAB) small. */
export const MAX_RECENT_JOBS = 200

const CACHE_VERSION = 2

/** The cache of the server and user the credentials name: the user given, else the one a JWT names. */
export function idCacheKey(credentials: Pick<Credentials, 'serverUrl' | 'staticToken' | 'username'>): IdCacheKey {
  const claims = credentials.staticToken ? jwtClaims(credentials.staticToken) : null
  const named = credentials.username ?? claims?.username ?? claims?.sub
  return {
    server: normalizeServerUrlOrNull(credentials.serverUrl) ?? credentials.serverUrl,
    user: typeof named === 'string' ? named : '',
  }
}

/** A file name from a hash of the key: URLs and user names may hold any character, a file name may not. */
export function idCachePath(configDir: string, key: IdCacheKey): string {
  const digest = createHash('sha256').update(`${key.server}\n${key.user}`).digest('hex').slice(0, 32)
  return join(configDir, 'recent-jobs', `${digest}.json`)
}

/** Longer than any real ID (a UUID is 36 characters, a system job's name and hex some 25), short enough for a TAB. */
export const MAX_CACHED_WORD_LENGTH = 128

/**
 * The one rule for what the cache stores and gives back of an ID, a type, a status or a repository: an ASCII
 * letter or digit, then letters, digits, `-`, `_` and `.` (UUIDs, 32 hex digits,
 * `data-retention-1a2b3c4d`, `sync_repository`). The server sent these words and shell completion
 * puts them on the user's command line: a `$(...)`, a backtick, a `;`, a quote, a glob or a
 * newline could run or inject a command, a lookalike letter or a leading `-` (a flag) could fool
 * the user. The shell scripts never evaluate a word either (completion.ts, zsh-completion.ts),
 * and zsh shows the type, status and repository beside each ID: this rule guards all of them. Checked on write
 * and on read, so a file written by an older version, or by hand, cannot inject anything.
 */
const SAFE_CACHED_WORD = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_CACHED_WORD_LENGTH - 1}}$`)

function isSafeCachedWord(value: unknown): value is string {
  return typeof value === 'string' && SAFE_CACHED_WORD.test(value)
}

/**
 * The entry, or null unless its ID, type and status are safe words (an entry lost costs a
 * completion); a repository that is not a safe word is left out, the entry kept.
 */
function asRecentJob(value: unknown): null | RecentJob {
  if (typeof value !== 'object' || value === null) return null
  const {job_id: jobId, job_type: jobType, repository, status} = value as Record<string, unknown>
  if (!isSafeCachedWord(jobId) || !isSafeCachedWord(jobType) || !isSafeCachedWord(status)) return null
  return {job_id: jobId, job_type: jobType, status, ...(isSafeCachedWord(repository) ? {repository} : {})}
}

/** The cache file's text, or '' when there is none. */
async function readCacheText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return ''
  }
}

/** The entries of a file written for `key`; none from a file of another key (a hash collision) or version. */
function parseCache(text: string, key: IdCacheKey): RecentJob[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }

  const file = parsed as null | {jobs?: unknown; server?: unknown; user?: unknown; version?: unknown}
  if (file?.version !== CACHE_VERSION || file.server !== key.server || file.user !== key.user) return []
  if (!Array.isArray(file.jobs)) return []
  return file.jobs.map((entry) => asRecentJob(entry)).filter((job): job is RecentJob => job !== null)
}

/** The cached jobs of `key`, most recently seen first. A missing or corrupt file is an empty cache. */
export async function recentJobs(configDir: string, key: IdCacheKey): Promise<RecentJob[]> {
  return parseCache(await readCacheText(idCachePath(configDir, key)), key)
}

/**
 * Puts `jobs` at the front of the cache (in the order given, updating the status of jobs already
 * there) and keeps the newest MAX_RECENT_JOBS. Never fails: a cache that cannot be written must
 * not break the command that saw the jobs.
 */
export async function rememberJobs(
  configDir: string,
  key: IdCacheKey,
  jobs: readonly (Pick<Job, 'job_id' | 'job_type' | 'status'> & {repository?: null | string})[],
): Promise<void> {
  if (jobs.length === 0) return
  const seen = new Map<string, RecentJob>()
  for (const job of jobs) {
    const entry = asRecentJob({
      job_id: job.job_id,
      job_type: job.job_type,
      status: job.status,
      repository: job.repository,
    })
    if (entry && !seen.has(entry.job_id)) seen.set(entry.job_id, entry)
  }

  const path = idCachePath(configDir, key)
  const before = await readCacheText(path)
  for (const old of parseCache(before, key)) {
    if (!seen.has(old.job_id)) seen.set(old.job_id, old)
  }

  const kept = [...seen.values()].slice(0, MAX_RECENT_JOBS)
  const after = `${JSON.stringify({version: CACHE_VERSION, server: key.server, user: key.user, jobs: kept})}\n`
  // A listing run again and again (`watch cidx jobs list`) mostly sees what it saw: no write, no fsync.
  if (after === before) return
  try {
    await writePrivateFileAtomic(path, after)
  } catch {
    // Best effort by design (see above); the next listing tries again.
  }
}
