import {rename} from 'node:fs/promises'

import type {JobContext} from '../job-context.js'

import {removeDir, type RepoJobDeps} from './repo-job-deps.js'

export interface RemovalTarget {
  dir: string
  /** Deletes the repository's row; runs in the same transaction as the index removal. */
  forget(): void
  message: string
  repoKey: string
}

/**
 * Removes a golden or activated repository. The directory is first renamed into the trash (the
 * last point where cancelling helps), then the rows go in one transaction, then the files.
 */
export async function removeWorkingCopy(
  context: JobContext,
  deps: RepoJobDeps,
  target: RemovalTarget,
): Promise<Record<string, unknown>> {
  context.report({progress: 10, phase: 'cleanup', detail: 'Removing working copy'})
  await context.checkpoint()
  const trash = deps.layout.trashFor(context.jobId)
  try {
    await rename(target.dir, trash)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  deps.db.transaction(() => {
    deps.index.drop(target.repoKey)
    target.forget()
  })()
  context.report({progress: 60, phase: 'cleanup', detail: 'Deleting files'})
  await removeDir(trash)
  return {success: true, message: target.message}
}
