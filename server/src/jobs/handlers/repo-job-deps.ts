import {rm} from 'node:fs/promises'

import type {IndexStorage, RepoRef, RepoStorage} from '../../db/storage.js'
import type {IndexOutcome} from '../../indexer/index-working-copy.js'
import type {DataLayout} from '../../repos/layout.js'
import type {JobContext} from '../job-context.js'

import {indexWorkingCopy} from '../../indexer/index-working-copy.js'

/** What repository jobs work with. */
export interface RepoJobDeps {
  index: IndexStorage
  layout: DataLayout
  repos: RepoStorage
}

/** The working copy's directory. */
export function dirOf(deps: RepoJobDeps, repo: RepoRef): string {
  return repo.kind === 'golden' ? deps.layout.golden(repo.alias) : deps.layout.activated(repo.username, repo.userAlias)
}

/** Records (or clears) the commit a sync starts from, so that a crash between merge and commit can be repaired. */
export async function recordSyncBase(deps: RepoJobDeps, repo: RepoRef, head: null | string): Promise<void> {
  await (repo.kind === 'golden'
    ? deps.repos.setGoldenSyncBase(repo.alias, head)
    : deps.repos.setActivatedSyncBase(repo.username, repo.userAlias, head))
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, {recursive: true, force: true, maxRetries: 3})
}

const CLONE_STAGES: [RegExp, number, number][] = [
  [/^(?:remote: )?(?:Enumerating|Counting|Compressing) objects:\s+(\d+)%/, 0, 0.2],
  [/^Receiving objects:\s+(\d+)%/, 0.2, 0.8],
  [/^Resolving deltas:\s+(\d+)%/, 0.8, 0.9],
  [/^Updating files:\s+(\d+)%/, 0.9, 1],
]

/** Turns git's `--progress` lines into job progress between `from` and `to`, and shows the line. */
export function gitProgressReporter(
  context: JobContext,
  phase: string,
  from: number,
  to: number,
): (line: string) => void {
  return (line) => {
    for (const [pattern, start, end] of CLONE_STAGES) {
      const match = pattern.exec(line.trim())
      if (!match) continue
      const share = start + ((end - start) * Number(match[1])) / 100
      context.report({progress: from + (to - from) * share, phase, detail: line.trim()})
      return
    }
  }
}

export async function currentCommit(context: JobContext, dir: string): Promise<string> {
  return (await context.git(['rev-parse', 'HEAD'], {cwd: dir})).trim()
}

/** The checked-out branch, or null on a detached HEAD. */
export async function currentBranch(context: JobContext, dir: string): Promise<null | string> {
  const name = (await context.git(['rev-parse', '--abbrev-ref', 'HEAD'], {cwd: dir})).trim()
  return name === 'HEAD' ? null : name
}

/** What a fresh clone holds once indexed: its commit, its branch, and the index's counts. */
export interface IndexedClone {
  branch: null | string
  head: string
  outcome: IndexOutcome
}

/**
 * The first half of a job that makes a repository: `git clone <cloneArgs>` into `cloneDir` (git's
 * progress as 10-30 %), then the whole tree indexed under `stagingKey` (30-95 %). Publishing is
 * the caller's: where the clone goes and what the database records differ by job.
 */
export async function cloneAndIndex(
  context: JobContext,
  deps: RepoJobDeps,
  clone: {cloneArgs: string[]; cloneDir: string; stagingKey: string},
): Promise<IndexedClone> {
  await context.git(['clone', ...clone.cloneArgs], {
    onStderrLine: gitProgressReporter(context, 'clone', 10, 30),
    watchForStalls: true,
  })
  const head = await currentCommit(context, clone.cloneDir)
  const branch = await currentBranch(context, clone.cloneDir)
  const outcome = await indexWorkingCopy(context, deps.index, {
    dir: clone.cloneDir,
    stagingKey: clone.stagingKey,
    previous: new Map(),
    progressFrom: 30,
    progressTo: 95,
  })
  return {branch, head, outcome}
}
