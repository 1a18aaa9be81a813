import {rename} from 'node:fs/promises'

import type {RepoRef} from '../../db/storage.js'
import type {JobContext} from '../job-context.js'

import {dirOf, removeDir, type RepoJobDeps} from './repo-job-deps.js'

export interface RemovalTarget {
  message: string
  repo: RepoRef
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
    await rename(dirOf(deps, target.repo), trash)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  await deps.repos.forget(target.repo)
  context.report({progress: 60, phase: 'cleanup', detail: 'Deleting files'})
  await removeDir(trash)
  return {success: true, message: target.message}
}
