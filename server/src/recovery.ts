import {readdir} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import type {Services} from './services.js'

import {isGitProcess, signalGroup} from './git/process-groups.js'
import {plainGit} from './git/run-git.js'
import {removeDir} from './jobs/handlers/repo-job-deps.js'
import {restoreWorkingCopy} from './jobs/handlers/sync-working-copy.js'
import {indexKeys} from './repos/layout.js'

export const ORPHANED_BY_RESTART = 'Orphaned by server restart'

async function entriesOf(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch {
    return []
  }
}

/**
 * git processes a node left that outlived it (they were in their own process groups): its
 * own previous run at a restart, or a dead node's. Only those on this host can be signalled;
 * a single server records no host, so all of its own are.
 */
export async function stopSurvivingGitProcesses(services: Pick<Services, 'data'>, node: string): Promise<void> {
  const here = hostname()
  for (const {pgid, host} of await services.data.processes.of(node))
    if ((host ?? here) === here && isGitProcess(pgid)) signalGroup(pgid, 'SIGKILL')
  await services.data.processes.clear(node)
}

/** Working copies a crash left between merge and commit go back to where their sync started. */
async function restoreHalfSyncedCopies(services: Services): Promise<void> {
  for (const golden of await services.repos.allGolden()) {
    if (golden.sync_base_head === null) continue
    await restoreWorkingCopy(plainGit, services.layout.golden(golden.alias), golden.sync_base_head)
    await services.repos.setGoldenSyncBase(golden.alias, null)
  }

  for (const activated of await services.repos.allActivated()) {
    if (activated.sync_base_head === null) continue
    await restoreWorkingCopy(
      plainGit,
      services.layout.activated(activated.username, activated.user_alias),
      activated.sync_base_head,
    )
    await services.repos.setActivatedSyncBase(activated.username, activated.user_alias, null)
  }
}

/** Directories published by a job that crashed before it recorded them. */
async function removeUnrecordedCopies(services: Services): Promise<void> {
  const {layout, repos} = services
  for (const alias of await entriesOf(layout.goldenRoot)) {
    if (!(await repos.golden(alias))) await removeDir(layout.golden(alias))
  }

  for (const username of await entriesOf(layout.activatedRoot)) {
    for (const userAlias of await entriesOf(join(layout.activatedRoot, username))) {
      if (!(await repos.activated(username, userAlias))) await removeDir(layout.activated(username, userAlias))
    }
  }
}

/**
 * Start-up after a crash or kill: jobs left pending or running become failed, and their partial
 * work goes: surviving git processes, temporary clones, trash, staged index rows, half-synced
 * working copies and working copies that were never recorded.
 */
export async function recoverAfterRestart(services: Services): Promise<number> {
  await stopSurvivingGitProcesses(services, services.node)
  const orphans = await services.jobs.orphanActive(ORPHANED_BY_RESTART)
  for (const dir of [services.layout.tmpRoot, services.layout.trashRoot]) {
    for (const entry of await entriesOf(dir)) await removeDir(join(dir, entry))
  }

  await services.index.dropStagingAreas(indexKeys.stagingPrefix)
  await restoreHalfSyncedCopies(services)
  await removeUnrecordedCopies(services)
  return orphans.length
}
