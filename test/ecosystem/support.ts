import type {ServerHandle} from '@cidx/local-server'

import {execFile} from 'node:child_process'
import {existsSync, rmSync} from 'node:fs'
import {chmod, cp, mkdtemp, realpath, rm, symlink, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Sandbox} from '../helpers/sandbox.js'

import {startLocalServer} from '../helpers/servers/local-server.js'

/** Plumbing for the end-to-end tests that drive the CLI the way a user does: child processes, an installed CLI, a seeded server. */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunResult {
  code: number
  stderr: string
  stdout: string
}

/**
 * Runs a program to its end; never throws for a non-zero exit (the tests assert on the code).
 * Children get no NODE_V8_COVERAGE: the installed copies and their source maps would be counted
 * as src/ under c8 (coverage comes from the in-process tests).
 */
export function run(
  file: string,
  args: readonly string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<RunResult> {
  const env = {...(options.env ?? process.env)}
  delete env.NODE_V8_COVERAGE
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {cwd: options.cwd ?? ROOT, env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0},
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')} did not run: ${error.message}\n${stderr}`))
          return
        }

        resolve({code: error ? Number(error.code) : 0, stdout, stderr})
      },
    )
  })
}

/**
 * Puts a `cidx` on the home's PATH that runs this checkout's sources (bin/dev.js under tsx), so the
 * test sees the current code without a build, from any working directory.
 */
export async function installDevCli(home: Sandbox): Promise<string> {
  const resolved = await run(process.execPath, [
    '--input-type=module',
    '--eval',
    "console.log(import.meta.resolve('tsx'))",
  ])
  const tsx = resolved.stdout.trim()
  const path = join(home.binDir, 'cidx')
  const script = `#!/bin/sh\nexec "${process.execPath}" --import ${tsx} --conditions=development --no-warnings=ExperimentalWarning "${join(ROOT, 'bin', 'dev.js')}" "$@"\n`
  await writeFile(path, script)
  await chmod(path, 0o755)
  return path
}

export interface SeededServer {
  close(): Promise<void>
  /** CIDX_* variables that point the CLI at this server as admin. */
  env: NodeJS.ProcessEnv
  /** The seeded job IDs, newest first. */
  jobIds: string[]
  server: ServerHandle
}

/** The local server with a few jobs of different statuses, as seen by `admin`. */
export async function seededServer(): Promise<SeededServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cidx-eco-server-'))
  const server = await startLocalServer({port: 0, dataDir, adminPassword: 'ecosystem-admin-pw'})
  const now = Date.now()
  const seeds = [
    {operation_type: 'sync_repository', status: 'completed', repository: 'backend', minutesAgo: 30},
    {operation_type: 'index_repository', status: 'failed', repository: 'frontend', minutesAgo: 20},
    {operation_type: 'add_golden_repo', status: 'running', repository: 'docs', minutesAgo: 10},
  ]
  const jobIds: string[] = []
  for (const seed of seeds) {
    // The repository as a real server names it: in the result.
    const seeded = await server.testing.insertJob({
      ...seed,
      result: {success: seed.status === 'completed', alias: seed.repository},
      created_at: new Date(now - seed.minutesAgo * 60_000),
    })
    jobIds.unshift(seeded.job_id)
  }

  return {
    server,
    jobIds,
    env: {CIDX_SERVER_URL: server.url, CIDX_USERNAME: 'admin', CIDX_PASSWORD: 'ecosystem-admin-pw'},
    async close() {
      await server.close()
      await rm(dataDir, {recursive: true, force: true})
    },
  }
}

export interface ConnectionCounter {
  close(): Promise<void>
  /** Connections made so far. */
  readonly connections: number
}

/**
 * A listener on the port of `url` (a server just closed there) that only counts the connections
 * made to it and drops them: the CLI keeps its server address and user, but nothing answers.
 */
export async function countConnectionsAt(url: string): Promise<ConnectionCounter> {
  let connections = 0
  const server = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => {
    server.listen(Number(new URL(url).port), '127.0.0.1', resolve)
  })
  return {
    get connections() {
      return connections
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
      }),
  }
}

/** What a checkout has that is not source: never copied into the packing copy. */
const NOT_SOURCE = new Set([
  'node_modules',
  'dist',
  'coverage',
  '.git',
  '.nyc_output',
  '.cidx-server',
  'oclif.manifest.json',
])
let packed: Promise<string> | undefined

/**
 * `npm pack` of this package, once per test run (several tests install the same tarball). It runs
 * the package's prepack (clean build, oclif manifest) and postpack (manifest removed) as a release
 * does, in a copy of the working tree (tests, server and all, so `files` has to leave them out),
 * so that it neither races with nor disturbs dist/ and the manifest of the checkout.
 */
export function packOnce(): Promise<string> {
  packed ??= pack()
  return packed
}

async function pack(): Promise<string> {
  const work = await realpath(await mkdtemp(join(tmpdir(), 'cidx-pack-')))
  process.once('exit', () => rmSync(work, {recursive: true, force: true}))
  const tree = join(work, 'cidx-jobs')
  await cp(ROOT, tree, {
    recursive: true,
    filter: (source) => !NOT_SOURCE.has(basename(source)) && !source.endsWith('.tgz'),
  })
  await symlink(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir')
  const result = await run('npm', ['pack', '--json', '--pack-destination', work], {cwd: tree, timeoutMs: 300_000})
  if (result.code !== 0) throw new Error(`npm pack failed (${result.code}):\n${result.stderr}`)
  if (existsSync(join(tree, 'oclif.manifest.json'))) throw new Error('postpack left oclif.manifest.json behind')
  // Lifecycle output may come first; the JSON report is the last thing npm prints.
  const report = JSON.parse(result.stdout.slice(result.stdout.lastIndexOf('\n[') + 1)) as Array<{filename: string}>
  return join(work, report[0].filename)
}
