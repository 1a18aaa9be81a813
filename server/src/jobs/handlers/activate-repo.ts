import {mkdir, rename} from 'node:fs/promises'
import {dirname} from 'node:path'

import type {JobContext} from '../job-context.js'

import {indexKeys} from '../../repos/layout.js'
import {nowMicros} from '../../time.js'
import {cloneAndIndex, removeDir, type RepoJobDeps} from './repo-job-deps.js'

export interface ActivateParams {
  branch: null | string
  goldenAlias: string
  userAlias: string
}

/** A per-user working copy: `git clone --local` of the golden repository, indexed on its own. */
export async function activateRepo(
  context: JobContext,
  deps: RepoJobDeps,
  params: ActivateParams,
): Promise<Record<string, unknown>> {
  const cloneDir = deps.layout.tmpFor(context.jobId)
  const stagingKey = indexKeys.staging(context.jobId)
  const finalDir = deps.layout.activated(context.username, params.userAlias)
  let published = false
  try {
    context.report({progress: 10, phase: 'clone', detail: `Cloning golden repository '${params.goldenAlias}'`})
    const branchArgs = params.branch ? [`--branch=${params.branch}`] : []
    const cloneArgs = ['--local', '--progress', ...branchArgs, '--', deps.layout.golden(params.goldenAlias), cloneDir]
    const {branch, head, outcome} = await cloneAndIndex(context, deps, {cloneArgs, cloneDir, stagingKey})
    context.report({progress: 97, phase: 'finalize', detail: 'Publishing working copy'})
    await context.checkpoint()
    await mkdir(dirname(finalDir), {recursive: true})
    await rename(cloneDir, finalDir)
    published = true
    await deps.repos.publishActivated(stagingKey, {
      username: context.username,
      user_alias: params.userAlias,
      golden_alias: params.goldenAlias,
      branch,
      head,
      files_indexed: outcome.files,
      created_us: nowMicros(),
    })
    return {
      success: true,
      message: `Repository '${params.userAlias}' activated from golden repository '${params.goldenAlias}'`,
      golden_repo_alias: params.goldenAlias,
      commit: head,
      branch,
      files_indexed: outcome.files,
    }
  } catch (error) {
    await removeDir(published ? finalDir : cloneDir)
    await deps.index.drop(stagingKey)
    throw error
  }
}
