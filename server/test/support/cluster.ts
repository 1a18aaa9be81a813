import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {ClusterWireJob} from '../../src/jobs/job-row.js'

import {type Cluster, type ClusterOptions, startCluster} from '../../src/cluster/launch-cluster.js'
import {Api, TERMINAL, waitFor} from './api.js'
import {createRepo, numberedFiles} from './git-fixtures.js'

const SERVER_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The newest modification time of the files under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  let newest = 0
  let entries
  try {
    entries = readdirSync(dir, {withFileTypes: true, recursive: true})
  } catch {
    return 0
  }

  for (const entry of entries)
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  return newest
}

/**
 * The nodes run the BUILT server (`server/bin/server.js` loads `server/dist`): a test of the
 * source against a stale build would test yesterday's code. Builds when any source file is
 * newer than the oldest output it could have produced (tsc rewrites every output file).
 */
export function ensureServerBuilt(): void {
  const built = statSync(join(SERVER_ROOT, 'dist', 'cli.js'), {throwIfNoEntry: false})?.mtimeMs ?? 0
  if (built >= newestMtime(join(SERVER_ROOT, 'src'))) return
  execFileSync('npm', ['run', 'build', '-w', 'server'], {cwd: REPO_ROOT, stdio: 'pipe'})
}

export interface TestCluster {
  /** The admin's access token, from a login on node-1 (good on every node: the JWT secret is shared). */
  adminToken: string
  /** One client per node, in the order of `cluster.nodes`. */
  apis: Api[]
  cluster: Cluster
  /** Each node's last lines of output, for a failing test's message. */
  output: string[]
  /** A folder of the test's own (source repositories), removed at stop. */
  root: string
  stop(): Promise<void>
}

/** A cluster of real node processes on a throwaway PostgreSQL, with the admin logged in. */
export async function startTestCluster(
  options: Omit<ClusterOptions, 'adminPassword' | 'onOutput'>,
): Promise<TestCluster> {
  ensureServerBuilt()
  const output: string[] = []
  const cluster = await startCluster({
    ...options,
    adminPassword: 'cluster-admin-pw',
    onOutput: (node, line) => output.push(`${node}: ${line}`),
  })
  const root = mkdtempSync(join(tmpdir(), 'cidx-cluster-test-'))
  const stop = async () => {
    await cluster.stop()
    rmSync(root, {recursive: true, force: true})
  }

  try {
    const apis = cluster.nodes.map((node) => new Api(node.url))
    const adminToken = await apis[0].login('admin', cluster.adminPassword)
    return {cluster, apis, adminToken, output, root, stop}
  } catch (error) {
    await stop()
    throw error
  }
}

/** A source repository of `files` numbered files under the test's folder. */
export function sourceRepo(test: TestCluster, name: string, files: number): string {
  const path = join(test.root, name)
  createRepo(path, numberedFiles(files))
  return path
}

/** Adds a golden repository through `api` and waits for it to be completed. */
export async function addGolden(test: TestCluster, api: Api, alias: string, repoUrl: string): Promise<ClusterWireJob> {
  const response = await api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, test.adminToken)
  if (response.status !== 202) throw new Error(`adding ${alias}: ${response.status} ${response.text}`)
  return waitForEnd(api, test.adminToken, response.body.job_id as string, 30_000)
}

export interface JobCondition {
  matches: (job: ClusterWireJob) => boolean
  timeoutMs?: number
  what: string
}

/** Reads a job (with the cluster's `node` field) until the condition holds for it. */
export async function waitForJob(api: Api, token: string, jobId: string, until: JobCondition): Promise<ClusterWireJob> {
  return waitFor(
    `job ${jobId}: ${until.what}`,
    async () => {
      const job = (await api.get<ClusterWireJob>(`/api/jobs/${jobId}`, token)).body
      return until.matches(job) ? job : undefined
    },
    until.timeoutMs ?? 15_000,
    20,
  )
}

/** Reads a job until it ends. */
export async function waitForEnd(api: Api, token: string, jobId: string, timeoutMs = 15_000): Promise<ClusterWireJob> {
  return waitForJob(api, token, jobId, {what: 'to end', matches: (job) => TERMINAL.has(job.status), timeoutMs})
}
