import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Job} from '../jobs/job.js'

import {writePrivateFileAtomic} from '../support/private-file.js'

/**
 * The job IDs this user saw lately (`jobs list`, `jobs watch`), kept in the config dir so that
 * shell completion can offer them without asking the server: a TAB never waits on the network.
 * It is a cache: losing it, or an entry, costs nothing but a completion.
 */
export interface RecentJob {
  job_id: string
  job_type: string
  /** The status when the job was last seen; it may have moved on since. */
  status: string
}

/** Enough for the jobs a person works with; keeps the file (and each TAB) small. */
export const MAX_RECENT_JOBS = 200

const CACHE_VERSION = 1

export function idCachePath(configDir: string): string {
  return join(configDir, 'recent-jobs.json')
}

/** Longer than any real ID (a UUID is 36 characters, a system job's name and hex some 25), short enough for a TAB. */
export const MAX_CACHED_WORD_LENGTH = 128

/**
 * The one rule for what the cache stores and gives back of an ID, a type or a status: an ASCII
 * letter or digit, then letters, digits, `-`, `_` and `.` (UUIDs, 32 hex digits,
 * `data-retention-1a2b3c4d`, `sync_repository`). The server sent these words and shell completion
 * puts them on the user's command line: a `$(...)`, a backtick, a `;`, a quote, a glob or a
 * newline could run or inject a command, a lookalike letter or a leading `-` (a flag) could fool
 * the user. The bash script never evaluates a word either (lib/completion.ts), but zsh
 * completion, which does not exist yet, will have only this rule to protect it. Checked on write
 * and on read, so a file written by an older version, or by hand, cannot inject anything.
 */
const SAFE_CACHED_WORD = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_CACHED_WORD_LENGTH - 1}}$`)

function isSafeCachedWord(value: unknown): value is string {
  return typeof value === 'string' && SAFE_CACHED_WORD.test(value)
}

/** The entry, or null unless all three fields are safe words (an entry lost costs a completion). */
function asRecentJob(value: unknown): null | RecentJob {
  if (typeof value !== 'object' || value === null) return null
  const {job_id: jobId, job_type: jobType, status} = value as Record<string, unknown>
  if (!isSafeCachedWord(jobId) || !isSafeCachedWord(jobType) || !isSafeCachedWord(status)) return null
  return {job_id: jobId, job_type: jobType, status}
}

/** The cache file's text, or '' when there is none. */
async function readCacheText(configDir: string): Promise<string> {
  try {
    return await readFile(idCachePath(configDir), 'utf8')
  } catch {
    return ''
  }
}

function parseCache(text: string): RecentJob[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return []
  }

  const entries = (parsed as null | {jobs?: unknown})?.jobs
  if (!Array.isArray(entries)) return []
  return entries.map((entry) => asRecentJob(entry)).filter((job): job is RecentJob => job !== null)
}

/** The cached jobs, most recently seen first. A missing or corrupt file is an empty cache. */
export async function recentJobs(configDir: string): Promise<RecentJob[]> {
  return parseCache(await readCacheText(configDir))
}

/**
 * Puts `jobs` at the front of the cache (in the order given, updating the status of jobs already
 * there) and keeps the newest MAX_RECENT_JOBS. Never fails: a cache that cannot be written must
 * not break the command that saw the jobs.
 */
export async function rememberJobs(
  configDir: string,
  jobs: readonly Pick<Job, 'job_id' | 'job_type' | 'status'>[],
): Promise<void> {
  if (jobs.length === 0) return
  const seen = new Map<string, RecentJob>()
  for (const job of jobs) {
    const entry = asRecentJob({job_id: job.job_id, job_type: job.job_type, status: job.status})
    if (entry && !seen.has(entry.job_id)) seen.set(entry.job_id, entry)
  }

  const before = await readCacheText(configDir)
  for (const old of parseCache(before)) {
    if (!seen.has(old.job_id)) seen.set(old.job_id, old)
  }

  const kept = [...seen.values()].slice(0, MAX_RECENT_JOBS)
  const after = `${JSON.stringify({version: CACHE_VERSION, jobs: kept})}\n`
  // A listing run again and again (`watch cidx jobs list`) mostly sees what it saw: no write, no fsync.
  if (after === before) return
  try {
    await writePrivateFileAtomic(idCachePath(configDir), after)
  } catch {
    // Best effort by design (see above); the next listing tries again.
  }
}
