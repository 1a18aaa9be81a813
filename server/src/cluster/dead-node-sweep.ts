import {join} from 'node:path'

import type {StoredJobRow} from '../db/storage.js'
import type {JobParams} from '../jobs/handlers/job-handlers.js'
import type {Services} from '../services.js'

import {plainGit} from '../git/run-git.js'
import {dirOf, recordSyncBase, removeDir} from '../jobs/handlers/repo-job-deps.js'
import {restoreWorkingCopy} from '../jobs/handlers/sync-working-copy.js'
import {toWireJob} from '../jobs/job-row.js'
import {stopSurvivingGitProcesses} from '../recovery.js'
import {indexKeys} from '../repos/layout.js'
import {nowMicros} from '../time.js'

/** The error of a job whose node died under it. */
export function interruptedBy(node: string): string {
  return `Job interrupted: node ${node} stopped`
}

type SweepParts = Pick<Services, 'data' | 'events' | 'index' | 'jobs' | 'layout' | 'repos'>

function paramsOf<Type extends keyof JobParams>(row: StoredJobRow): JobParams[Type] {
  return JSON.parse(row.params ?? '{}') as JobParams[Type]
}

/** A sync stopped between merge and commit: its working copy goes back to where the sync started. */
async function restoreSync(services: SweepParts, row: StoredJobRow): Promise<void> {
  const repo =
    row.operation_type === 'global_repo_refresh'
      ? ({kind: 'golden', alias: paramsOf<'global_repo_refresh'>(row).alias} as const)
      : ({kind: 'activated', username: row.username, userAlias: paramsOf<'sync_repository'>(row).userAlias} as const)
  const stored =
    repo.kind === 'golden'
      ? await services.repos.golden(repo.alias)
      : await services.repos.activated(repo.username, repo.userAlias)
  if (!stored?.sync_base_head) return
  await restoreWorkingCopy(plainGit, dirOf(services, repo), stored.sync_base_head)
  await recordSyncBase(services, repo, null)
}

/** A clone published into place but not yet recorded: it goes, as at a single server's restart. */
async function removeUnrecorded(services: SweepParts, row: StoredJobRow): Promise<void> {
  if (row.operation_type === 'add_golden_repo') {
    const {alias} = paramsOf<'add_golden_repo'>(row)
    if (!(await services.repos.golden(alias))) await removeDir(services.layout.golden(alias))
  } else if (row.operation_type === 'activate_repository') {
    const {userAlias} = paramsOf<'activate_repository'>(row)
    if (!(await services.repos.activated(row.username, userAlias)))
      await removeDir(services.layout.activated(row.username, userAlias))
  }
}

/** What an interrupted job left: its temporary clone, its trash, its staged index rows, a half-done sync or publication. */
async function cleanUpAfter(services: SweepParts, row: StoredJobRow): Promise<void> {
  await removeDir(join(services.layout.tmpRoot, row.job_id))
  await removeDir(join(services.layout.trashRoot, row.job_id))
  await services.index.drop(indexKeys.staging(row.job_id))
  if (row.operation_type === 'sync_repository' || row.operation_type === 'global_repo_refresh')
    await restoreSync(services, row)
  await removeUnrecorded(services, row)
}

/**
 * Fails the running jobs of a node that stopped (a dead one, or this node's previous life at its
 * restart) after cleaning up what they left in the shared data dir: a job is never seen failed
 * while its partial work is still there, and a sweeper that dies midway leaves the jobs running
 * on the dead node for the next sweep to redo (every step may be done twice). Its pending jobs
 * belong to no node: they simply run elsewhere. Returns the jobs it failed.
 */
export async function sweepNode(services: SweepParts, node: string): Promise<StoredJobRow[]> {
  await stopSurvivingGitProcesses(services, node)
  for (const row of await services.jobs.running()) if (row.node === node) await cleanUpAfter(services, row)
  const interrupted = await services.jobs.failRunningOn(node, interruptedBy(node), nowMicros())
  for (const row of interrupted) {
    const ended = await services.jobs.get(row.job_id)
    if (ended) services.events.publish(toWireJob(ended, true))
  }

  return interrupted
}
