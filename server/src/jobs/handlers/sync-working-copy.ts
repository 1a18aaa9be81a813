import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {RepoRef} from '../../db/storage.js'
import type {JobContext} from '../job-context.js'

import {indexWorkingCopy} from '../../indexer/index-working-copy.js'
import {indexKeyOf, indexKeys} from '../../repos/layout.js'
import {nowMicros} from '../../time.js'
import {currentCommit, dirOf, gitProgressReporter, recordSyncBase, type RepoJobDeps} from './repo-job-deps.js'

export interface SyncTarget {
  message: string
  repo: RepoRef
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
  const dir = dirOf(deps, target.repo)
  context.report({progress: 10, phase: 'fetch', detail: 'Fetching from origin'})
  await context.git(['fetch', '--prune', '--progress', 'origin'], {
    cwd: dir,
    onStderrLine: gitProgressReporter(context, 'fetch', 10, 25),
    watchForStalls: true,
  })
  const before = await currentCommit(context, dir)
  await recordSyncBase(deps, target.repo, before)
  try {
    context.report({
      progress: 25,
      phase: 'merge',
      detail: options.force ? 'Resetting to upstream' : 'Fast-forwarding to upstream',
    })
    await context.git(
      options.force ? ['reset', '--hard', '--quiet', '@{upstream}'] : ['merge', '--ff-only', '--quiet', '@{upstream}'],
      {cwd: dir},
    )
    const after = await currentCommit(context, dir)
    const previous = options.fullReindex ? new Map<string, string>() : await deps.index.shas(indexKeyOf(target.repo))
    const outcome = await indexWorkingCopy(context, deps.index, {
      dir,
      stagingKey,
      previous,
      progressFrom: 30,
      progressTo: 95,
    })
    context.report({progress: 97, phase: 'finalize', detail: 'Publishing index'})
    await context.checkpoint()
    await deps.repos.publishSync(stagingKey, target.repo, {
      removedPaths: outcome.removed,
      replaceAll: options.fullReindex,
      synced: {head: after, filesIndexed: outcome.files, syncedUs: nowMicros()},
    })
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
    await restoreWorkingCopy(context, dir, before)
    await deps.index.drop(stagingKey)
    await recordSyncBase(deps, target.repo, null)
    throw error
  }
}

/** Puts a working copy back at `commit`, clearing the lock a killed git may have left. */
export async function restoreWorkingCopy(context: Pick<JobContext, 'git'>, dir: string, commit: string): Promise<void> {
  await rm(join(dir, '.git', 'index.lock'), {force: true})
  await context.git(['reset', '--hard', '--quiet', commit], {cwd: dir, ignoreCancellation: true})
}
