import {type ChildProcess, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {startThrowawayPostgres, type ThrowawayPostgres} from '../db/throwaway-postgres.js'
import {stopOnSignal} from '../stop-on-signal.js'

/** `server/bin/server.js`, from `src/cluster/` and from `dist/cluster/` alike. */
const SERVER_BIN = fileURLToPath(new URL('../../bin/server.js', import.meta.url))
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 10_000

export interface ClusterOptions {
  /** The admin's password on every node. Default: `CIDX_ADMIN_PASSWORD`, else a generated one. */
  adminPassword?: string
  /** The shared data dir, kept at stop. Default: a temp folder, removed at stop. */
  dataDir?: string
  nodes: number
  /** The program each node runs with `node`. Default: `server/bin/server.js` (the built server). */
  nodeScript?: string
  /** `--node-timeout` of each node: how long a silent node lives on before the others fail its running jobs. */
  nodeTimeoutSeconds?: number
  /** What the nodes print once started (their first line is the launcher's), line by line. */
  onOutput?: (node: string, line: string) => void
  /** `--job-throttle-ms` of each node. */
  throttleMs?: number
  /** `--workers` of each node. */
  workers?: number
}

export interface ClusterNode {
  name: string
  pid: number
  url: string
}

export interface Cluster {
  adminPassword: string
  databaseUrl: string
  dataDir: string
  nodes: ClusterNode[]
  /** SIGTERMs the nodes and waits for them, then stops PostgreSQL and removes the temp folders. Safe to call twice. */
  stop(): Promise<void>
}

interface Started {
  child: ChildProcess
  node: ClusterNode
}

/**
 * Starts a throwaway PostgreSQL and `nodes` server processes sharing one data dir, as
 * `npm run cluster` does and the cluster's tests do. `node-1` starts alone first: it applies the
 * migrations and makes the admin user, so the others find both done instead of racing for them.
 * A start that fails stops whatever it had started and rejects with the failing node's output.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) throw new Error('A cluster needs at least one node')
  const adminPassword =
    options.adminPassword ?? process.env.CIDX_ADMIN_PASSWORD ?? randomBytes(12).toString('base64url')
  const ownDataDir = options.dataDir === undefined
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cidx-cluster-'))
  const children: ChildProcess[] = []
  let postgres: ThrowawayPostgres | undefined
  // The nodes must not outlive a launcher that dies without stop() (the throwaway PostgreSQL does the same).
  const killOnExit = () => {
    for (const child of children) child.kill('SIGKILL')
  }

  process.once('exit', killOnExit)
  let stopping: Promise<void> | undefined
  const stop = async () => {
    stopping ??= (async () => {
      await Promise.all(children.map((child) => stopChild(child)))
      process.off('exit', killOnExit)
      await postgres?.stop()
      if (ownDataDir) rmSync(dataDir, {recursive: true, force: true})
    })()
    return stopping
  }

  try {
    postgres = await startThrowawayPostgres()
    const databaseUrl = postgres.url
    const start = async (index: number) => {
      const name = `node-${index}`
      const args = nodeArgs(options, databaseUrl, name, dataDir)
      const child = spawn(process.execPath, [options.nodeScript ?? SERVER_BIN, ...args], {
        // Its own process group: Ctrl-C reaches the launcher alone, which stops the nodes before PostgreSQL.
        detached: true,
        env: {...process.env, CIDX_ADMIN_PASSWORD: adminPassword},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      return startedNode(child, name, options.onOutput)
    }

    const first = await start(1)
    const rest = await Promise.all(Array.from({length: options.nodes - 1}, (_, at) => start(at + 2)))
    const nodes = [first, ...rest].map((started) => started.node)
    return {nodes, adminPassword, databaseUrl, dataDir, stop}
  } catch (error) {
    await stop()
    throw error
  }
}

function nodeArgs(options: ClusterOptions, databaseUrl: string, name: string, dataDir: string): string[] {
  const args = ['--database', databaseUrl, '--node-name', name, '--data-dir', dataDir, '--port', '0']
  if (options.workers !== undefined) args.push('--workers', String(options.workers))
  if (options.throttleMs !== undefined) args.push('--job-throttle-ms', String(options.throttleMs))
  if (options.nodeTimeoutSeconds !== undefined) args.push('--node-timeout', String(options.nodeTimeoutSeconds))
  return args
}

/** Resolves once the node prints its URL; rejects, with what it said, if it exits or stalls first. */
async function startedNode(
  child: ChildProcess,
  name: string,
  onOutput: ClusterOptions['onOutput'] = () => {},
): Promise<Started> {
  let stdout = ''
  let stderr = ''
  let url: string | undefined
  const emit = (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) onOutput(name, line)
  }

  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    if (url) emit(chunk)
  })
  return new Promise<Started>((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer)
      reject(new Error(`${name} did not start: ${reason}${stderr ? `\n${stderr.trim()}` : ''}`))
    }

    const timer = setTimeout(() => fail(`no URL within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS)
    child.once('error', (error) => fail(error.message))
    child.once('exit', (code, signal) => {
      if (!url) fail(`it exited with ${code ?? signal}`)
    })
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (url) return emit(chunk)
      stdout += chunk
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (!match || child.pid === undefined) return
      url = match[1]
      clearTimeout(timer)
      // What followed the first line (the admin's password on a first start) is output too.
      emit(stdout.slice(stdout.indexOf('\n') + 1))
      resolve({child, node: {name, url, pid: child.pid}})
    })
  })
}

/** SIGTERM, then SIGKILL if the node has not exited within STOP_TIMEOUT_MS. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => {
    child.once('exit', resolve)
  })
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

const USAGE = `Usage: npm run cluster -- [options]

Starts a throwaway PostgreSQL and N local server nodes sharing one data dir, prints their URLs
and the admin password, and on Ctrl-C or SIGTERM stops them all and removes the temp folders.

Options:
  --nodes N            how many nodes (default 3)
  --workers N          jobs each node runs at the same time (the server's default when not given)
  --job-throttle-ms N  pause between index batches, to watch jobs in a demo
  --node-timeout SECONDS
                       a node silent this long is taken for dead (default 30)
  --data-dir DIR       the shared data dir, kept at the end (default: a temp folder, removed)
  -h, --help           show this help

Environment:
  CIDX_ADMIN_PASSWORD  the admin's password (else one is generated and printed)`

function countOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < min)
    throw new Error(`--${name} must be an integer of at least ${min}, got '${value}'`)
  return parsed
}

/** `npm run cluster`: starts the cluster, prints where it is, and stops it on SIGINT or SIGTERM. */
export async function main(argv: string[]): Promise<void> {
  const {values} = parseArgs({
    args: argv,
    options: {
      nodes: {type: 'string'},
      workers: {type: 'string'},
      'job-throttle-ms': {type: 'string'},
      'node-timeout': {type: 'string'},
      'data-dir': {type: 'string'},
      help: {type: 'boolean', short: 'h'},
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }

  const starting = startCluster({
    nodes: countOption('nodes', values.nodes, 1) ?? 3,
    workers: countOption('workers', values.workers, 1),
    throttleMs: countOption('job-throttle-ms', values['job-throttle-ms'], 0),
    nodeTimeoutSeconds: countOption('node-timeout', values['node-timeout'], 1),
    dataDir: values['data-dir'],
    onOutput: (node, line) => console.log(`[${node}] ${line}`),
  })
  stopOnSignal(starting, (cluster) => cluster.stop())
  const cluster = await starting
  console.log(
    [
      `PostgreSQL: ${cluster.databaseUrl}`,
      `Shared data dir: ${cluster.dataDir}`,
      ...cluster.nodes.map((node) => `${node.name}: ${node.url} (pid ${node.pid})`),
      `Admin user: admin, password: ${cluster.adminPassword}`,
      'Press Ctrl-C to stop the cluster.',
    ].join('\n'),
  )
}
