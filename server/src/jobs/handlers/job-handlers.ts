import type {Awaitable, RepoRef} from '../../db/storage.js'
import type {JobContext} from '../job-context.js'

import {type ActivateParams, activateRepo} from './activate-repo.js'
import {addGoldenRepo, type AddGoldenRepoParams} from './add-golden-repo.js'
import {removeWorkingCopy} from './remove-working-copy.js'
import {type RepoJobDeps} from './repo-job-deps.js'
import {cleanupMessage} from './retention.js'
import {syncWorkingCopy} from './sync-working-copy.js'

/**
 * The code of one operation type, run with the params its route stored in the job row: any node
 * that claims the row can run it, not only the one that took the request.
 */
export type JobHandler = (context: JobContext, params: Record<string, unknown>) => Promise<Record<string, unknown>>

/** What the handlers work with: the repositories, and the retention sweep. */
export interface HandlerDeps extends RepoJobDeps {
  /** Archives and deletes the jobs finished more than `maxAgeHours` ago; returns how many went. */
  deleteExpiredJobs(maxAgeHours: number): Awaitable<number>
}

/** The params of each operation, as the routes store them. */
export interface JobParams {
  activate_repository: ActivateParams
  add_golden_repo: AddGoldenRepoParams
  data_retention_cleanup: {retentionHours: number}
  deactivate_repository: {userAlias: string}
  global_repo_refresh: {alias: string}
  remove_golden_repo: {alias: string}
  sync_repository: {force: boolean; fullReindex: boolean; userAlias: string}
}

type Handlers = {
  [Type in keyof JobParams]: (context: JobContext, params: JobParams[Type]) => Promise<Record<string, unknown>>
}

function golden(alias: string): RepoRef {
  return {kind: 'golden', alias}
}

function activated(context: JobContext, userAlias: string): RepoRef {
  return {kind: 'activated', username: context.username, userAlias}
}

/** The handler of every operation type the server runs. */
export function jobHandlers(deps: HandlerDeps): ReadonlyMap<string, JobHandler> {
  const handlers: Handlers = {
    add_golden_repo: (context, params) => addGoldenRepo(context, deps, params),
    global_repo_refresh: (context, {alias}) =>
      syncWorkingCopy(
        context,
        deps,
        {repo: golden(alias), message: `Golden repository '${alias}' refreshed`},
        {force: true, fullReindex: false},
      ),
    remove_golden_repo: (context, {alias}) =>
      removeWorkingCopy(context, deps, {repo: golden(alias), message: `Golden repository '${alias}' removed`}),
    activate_repository: (context, params) => activateRepo(context, deps, params),
    deactivate_repository: (context, {userAlias}) =>
      removeWorkingCopy(context, deps, {
        repo: activated(context, userAlias),
        message: `Repository '${userAlias}' deactivated`,
      }),
    sync_repository: (context, {userAlias, force, fullReindex}) =>
      syncWorkingCopy(
        context,
        deps,
        {repo: activated(context, userAlias), message: `Repository '${userAlias}' synced`},
        {force, fullReindex},
      ),
    async data_retention_cleanup(context, {retentionHours}) {
      context.report({
        progress: 50,
        phase: 'cleanup',
        detail: `Archiving and deleting jobs finished more than ${retentionHours} h ago`,
      })
      const cleaned = await deps.deleteExpiredJobs(retentionHours)
      return {success: true, cleaned_count: cleaned, message: cleanupMessage(cleaned)}
    },
  }
  return new Map(Object.entries(handlers) as [string, JobHandler][])
}
