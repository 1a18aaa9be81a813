/**
 * `npm run bench:cluster`: the local server as a cluster on PostgreSQL, in one run.
 *
 * 1. Claim throughput: no-op jobs inserted straight into a running cluster's `jobs` table, with
 *    1 node and with 3 nodes; each job must run exactly once.
 * 2. The first page of the job list at 1 M jobs, `PgJobStorage.list` in this process (bench/cluster/list.ts).
 * 3. Cross-node cancel: DELETE on one node of a job running on another, until GET reads `cancelled`.
 * 4. Event latency: a change made on one node, arriving on another node's SSE stream.
 *
 * The nodes are real processes of the BUILT server (`npm run build -w server` first), each with
 * its throwaway PostgreSQL (server/src/cluster/launch-cluster.ts).
 * Options: `--jobs 3000` (throughput), `--list-jobs 1000000`, `--cancels 20`, `--events 120`,
 * `--workers 4`. Writes bench/reports/cluster.md and prints it.
 */

import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {type Cluster, startCluster} from '../server/src/cluster/launch-cluster.js'
import {openPool} from '../server/src/db/postgres/migrate.js'
import {makeRepo, measureCrossNodeCancel} from './cluster/cancel.js'
import {measureEventLatency} from './cluster/events.js'
import {adminSession} from './cluster/http.js'
import {measureList} from './cluster/list.js'
import {type ClusterFigures, renderClusterReport} from './cluster/report.js'
import {measureThroughput, type Throughput} from './cluster/throughput.js'

const ADMIN_PASSWORD = 'bench-admin-password'
/** Between index batches: keeps a golden add indexing long enough to be cancelled mid-run. */
const THROTTLE_MS = 50
/** Files of the repository that is cancelled while indexing; the event bench adds a one-file one. */
const CANCEL_REPO_FILES = 400

/** A fresh cluster for `use`; `throttleMs` only where jobs must last long enough to be cancelled. */
async function withCluster<T>(
  {nodes, workers, throttleMs}: {nodes: number; throttleMs: number; workers: number},
  use: (cluster: Cluster) => Promise<T>,
): Promise<T> {
  const cluster = await startCluster({nodes, workers, throttleMs, adminPassword: ADMIN_PASSWORD})
  try {
    return await use(cluster)
  } finally {
    await cluster.stop()
  }
}

async function throughputOn(cluster: Cluster, count: number, workers: number): Promise<Throughput> {
  const pool = openPool(cluster.databaseUrl, 2)
  try {
    return await measureThroughput(pool, {count, nodes: cluster.nodes.length, workers})
  } finally {
    await pool.end()
  }
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: Object.fromEntries(
      ['jobs', 'list-jobs', 'cancels', 'events', 'workers'].map((name) => [name, {type: 'string' as const}]),
    ),
  })
  const option = (name: string, fallback: number) => Number(values[name] ?? fallback)
  const workers = option('workers', 4)
  const jobs = option('jobs', 3000)
  const began = performance.now()
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-cluster-'))
  try {
    makeRepo(join(root, 'big'), CANCEL_REPO_FILES)
    makeRepo(join(root, 'small'), 1)
    console.error('throughput, 1 node...')
    // No throttle: a no-op job's own checkpoint would otherwise wait it out and hide the claiming.
    const one = await withCluster({nodes: 1, workers, throttleMs: 0}, (cluster) => throughputOn(cluster, jobs, workers))
    console.error('throughput, 3 nodes...')
    const three = await withCluster({nodes: 3, workers, throttleMs: 0}, (cluster) =>
      throughputOn(cluster, jobs, workers),
    )
    console.error('cross-node cancel and event latency, 3 nodes...')
    const {cancel, events} = await withCluster({nodes: 3, workers, throttleMs: THROTTLE_MS}, async (cluster) => {
      const sessions = await Promise.all(cluster.nodes.map((node) => adminSession(node.url, ADMIN_PASSWORD)))
      console.error('  cross-node cancel...')
      const cancelled = await measureCrossNodeCancel(sessions, join(root, 'big'), option('cancels', 20))
      console.error('  event latency...')
      const latency = await measureEventLatency(sessions[0], sessions[1], join(root, 'small'), option('events', 120))
      return {cancel: cancelled, events: latency}
    })
    console.error('list at 1 M jobs...')
    const list = await measureList(option('list-jobs', 1_000_000), 50)
    const figures: ClusterFigures = {
      throughput: [one, three],
      list,
      cancel,
      events,
      seconds: Math.round((performance.now() - began) / 1000),
    }
    const report = renderClusterReport(figures)
    mkdirSync(new URL('reports/', import.meta.url), {recursive: true})
    writeFileSync(new URL('reports/cluster.md', import.meta.url), report)
    console.log(report)
  } finally {
    rmSync(root, {recursive: true, force: true})
  }
}

await main()
