import {rename} from 'node:fs/promises'

import type {JobContext} from '../job-context.js'

import {indexKeys, redactUrls} from '../../repos/layout.js'
import {nowMicros} from '../../time.js'
import {cloneAndIndex, removeDir, type RepoJobDeps} from './repo-job-deps.js'

export interface AddGoldenRepoParams {
  alias: string
  defaultBranch: null | string
  description: null | string
  repoUrl: string
}

/**
 * Clones into a temporary directory, indexes into a staging area, then publishes both at once.
 * Anything short of the end (failure, cancellation) removes the clone and the staged index rows.
 */
export async function addGoldenRepo(
  context: JobContext,
  deps: RepoJobDeps,
  params: AddGoldenRepoParams,
): Promise<Record<string, unknown>> {
  const cloneDir = deps.layout.tmpFor(context.jobId)
  const stagingKey = indexKeys.staging(context.jobId)
  const finalDir = deps.layout.golden(params.alias)
  let published = false
  try {
    context.report({progress: 10, phase: 'clone', detail: `Cloning ${redactUrls(params.repoUrl)}`})
    const branchArgs = params.defaultBranch ? [`--branch=${params.defaultBranch}`] : []
    const cloneArgs = ['--progress', ...branchArgs, '--', params.repoUrl, cloneDir]
    const {branch, head, outcome} = await cloneAndIndex(context, deps, {cloneArgs, cloneDir, stagingKey})
    context.report({progress: 97, phase: 'finalize', detail: 'Publishing repository'})
    await context.checkpoint()
    await rename(cloneDir, finalDir)
    published = true
    await deps.repos.publishGolden(stagingKey, {
      alias: params.alias,
      repo_url: params.repoUrl,
      default_branch: branch,
      description: params.description,
      head,
      files_indexed: outcome.files,
      created_us: nowMicros(),
    })
    return {
      success: true,
      message: `Golden repository '${params.alias}' added`,
      commit: head,
      branch,
      files_indexed: outcome.files,
      files_skipped: outcome.skipped,
    }
  } catch (error) {
    await removeDir(published ? finalDir : cloneDir)
    await deps.index.drop(stagingKey)
    throw error
  }
}
