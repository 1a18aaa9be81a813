import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {JobContext} from '../job-context.js'

import {indexWorkingCopy} from '../../indexer/index-working-copy.js'
import {indexKeys} from '../../repos/layout.js'
import {currentCommit, gitProgressReporter, type RepoJobDeps} from './repo-job-deps.js'

export interface SyncTarget {
  /** The repository's bookkeeping; runs in the transaction that publishes the new index. */
  commit(head: string, files: number): void
  dir: string
  message: string
  /** Persists the commit the sync starts from (null when done), so a crash can be repaired. */
  recordBase(head: null | string): void
  repoKey: string
}

export interface SyncOptions {
  /** Take the upstream state even if the histories diverged (`reset --hard`). */
  force: boolean
  /** Re-index every file, not only the changed ones. */
  fullReindex: boolean
}

/**
 * Fetches and fast-forwards a working copy from its origin, then re-indexes what changed. Until
 * the final transaction nothing is visible: a failure or cancellation resets the working copy
 * to the commit it started from and drops the staged index rows.
 */
export async function syncWorkingCopy(
  context: JobContext,
  deps: RepoJobDeps,
  target: SyncTarget,
  options: SyncOptions,
): Promise<Record<string, unknown>> {
  const stagingKey = indexKeys.staging(context.jobId)
  context.report({progress: 10, phase: 'fetch', detail: 'Fetching from origin'})
  await context.git(['fetch', '--prune', '--progress', 'origin'], {
    cwd: target.dir,
    onStderrLine: gitProgressReporter(context, 'fetch', 10, 25),
    watchForStalls: true,
  })
  const before = await currentCommit(context, target.dir)
  target.recordBase(before)
  try {
    context.report({
      progress: 25,
      phase: 'merge',
      detail: options.force ? 'Resetting to upstream' : 'Fast-forwarding to upstream',
    })
    await context.git(
      options.force ? ['reset', '--hard', '--quiet', '@{upstream}'] : ['merge', '--ff-only', '--quiet', '@{upstream}'],
      {cwd: target.dir},
    )
    const after = await currentCommit(context, target.dir)
    const previous = options.fullReindex ? new Map<string, string>() : deps.index.shas(target.repoKey)
    const outcome = await indexWorkingCopy(context, deps.index, {
      dir: target.dir,
      stagingKey,
      previous,
      progressFrom: 30,
      progressTo: 95,
    })
    context.report({progress: 97, phase: 'finalize', detail: 'Publishing index'})
    await context.checkpoint()
    deps.db.transaction(() => {
      deps.index.promote(stagingKey, target.repoKey, outcome.removed, options.fullReindex)
      target.commit(after, outcome.files)
    })()
    return {
      success: true,
      message: target.message,
      commit: after,
      previous_commit: before,
      files_indexed: outcome.files,
      files_changed: outcome.changed,
      files_removed: outcome.removed.length,
    }
  } catch (error) {
    await restoreWorkingCopy(context, target.dir, before)
    deps.index.drop(stagingKey)
    target.recordBase(null)
    throw error
  }
}

/** Puts a working copy back at `commit`, clearing the lock a killed git may have left. */
export async function restoreWorkingCopy(context: Pick<JobContext, 'git'>, dir: string, commit: string): Promise<void> {
  await rm(join(dir, '.git', 'index.lock'), {force: true})
  await context.git(['reset', '--hard', '--quiet', commit], {cwd: dir, ignoreCancellation: true})
}
