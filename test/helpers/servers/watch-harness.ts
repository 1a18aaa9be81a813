/**
 * Test plumbing for the status/watch tests: the local server over real HTTP (restartable on the
 * same port and data dir), real git repositories and real jobs, seeded jobs of any status, and
 * the CLI run in-process (runCommand) or as a real child process.
 */
import type {SeedJob, ServerOptions} from '@cidx/local-server'

import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {Api, type RequestOptions, waitFor} from '../../../server/test/support/api.js'
import {createRepo, numberedFiles} from '../../../server/test/support/git-fixtures.js'
import {createSandbox, type Sandbox} from '../sandbox.js'
import {type LocalServer, startLocalServer} from './local-server.js'

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const ADMIN_PASSWORD = 'admin-watch-password'
export const USER = 'alice'
export const USER_PASSWORD = 'alice-watch-password'

/** The job the terminal tests watch first: running since now, indexing repository `alpha` at 20 %. */
export function alphaIndexing(): SeedJob {
  return {
    status: 'running',
    started_at: new Date(),
    progress: 20,
    current_phase: 'index',
    phase_detail: '20/100 files',
    result: {alias: 'alpha'},
  }
}

export interface WatchServer {
  /** A real activation job of alice's (clone + index of the golden repository), started now. */
  activate(userAlias: string): Promise<string>
  /** Environment for a CLI child process: the server's sandbox (isolated home and config dir), alice's credentials. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv
  /** Closes the server only (for "server gone" tests); `restart()` brings it back. */
  close(): Promise<void>
  /** The job as the server answers it to alice. */
  job(jobId: string): Promise<Record<string, unknown>>
  /** Closes the server and starts it again on the same port and data dir (jobs left running become failed). */
  restart(): Promise<void>
  root: string
  /** The CLI user's home and config dir, the same for its child processes and in-process runs. */
  sandbox: Sandbox
  /** A job row as given, owned by alice unless said; resolves with its ID once stored and announced. */
  seed(job?: SeedJob): Promise<string>
  server: LocalServer
  stop(): Promise<void>
  update(jobId: string, changes: Omit<SeedJob, 'job_id'>): Promise<void>
  url: string
}

/** The parsed answer to a request that must succeed (a JSON object of the shape `T` the caller expects). */
async function call<T = Record<string, unknown>>(
  api: Api,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<T> {
  const response = await api.request<T>(method, path, options)
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`)
  return response.body
}

/**
 * The local server in a temp dir with user alice (normal_user) and, when `goldenFiles` is given,
 * a golden repository `fixture` of that many files, ready for alice to activate.
 */
export async function startWatchServer(
  options: Partial<ServerOptions> & {goldenFiles?: number} = {},
): Promise<WatchServer> {
  const {goldenFiles, ...serverOptions} = options
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'cidx-watch-')))
  const dataDir = join(root, 'data')
  let server = await startLocalServer({workers: 2, ...serverOptions, port: 0, dataDir, adminPassword: ADMIN_PASSWORD})
  const port = Number(new URL(server.url).port)
  let closed = false
  await server.testing.createUser(USER, USER_PASSWORD, 'normal_user')
  const api = new Api(server.url)
  if (goldenFiles !== undefined) {
    const repo = join(root, 'golden-source')
    createRepo(repo, numberedFiles(goldenFiles))
    const token = await api.login('admin', ADMIN_PASSWORD)
    const {job_id: jobId} = await call<{job_id: string}>(api, 'POST', '/api/admin/golden-repos', {
      token,
      body: {repo_url: repo, alias: 'fixture'},
    })
    await waitFor(
      'the golden repository',
      async () => ((await call(api, 'GET', `/api/jobs/${jobId}`, {token})).status === 'completed' ? true : undefined),
      60_000,
      50,
    )
  }

  const sandbox = await createSandbox('cidx-watch-home-')
  const handle: WatchServer = {
    get server() {
      return server
    },
    url: server.url,
    root,
    sandbox,
    async restart() {
      if (!closed) await server.close()
      // As itself: the same port and data dir and, on a cluster, the same database and node name.
      server = await startLocalServer({...server.options, port})
      closed = false
    },
    async close() {
      closed = true
      await server.close()
    },
    async stop() {
      if (!closed) await server.close()
      await sandbox.remove()
      rmSync(root, {recursive: true, force: true})
    },
    async seed(job = {}) {
      return (await server.testing.insertJob({username: USER, ...job})).job_id
    },
    async update(jobId, changes) {
      await server.testing.updateJob(jobId, changes)
    },
    async activate(userAlias) {
      const token = await api.login(USER, USER_PASSWORD)
      return (
        await call<{job_id: string}>(api, 'POST', '/api/repos/activate', {
          token,
          body: {golden_repo_alias: 'fixture', user_alias: userAlias},
        })
      ).job_id
    },
    async job(jobId) {
      return call(api, 'GET', `/api/jobs/${jobId}`, {token: await api.login(USER, USER_PASSWORD)})
    },
    childEnv(extra = {}) {
      return {...sandbox.env, CIDX_SERVER_URL: server.url, CIDX_USERNAME: USER, CIDX_PASSWORD: USER_PASSWORD, ...extra}
    },
  }
  return handle
}

/** Makes the watch server's child environment that of this process, for in-process runCommand calls; returns what undoes it. */
export function useCliEnv(watch: WatchServer, extra: Record<string, string> = {}): () => void {
  return watch.sandbox.enter(watch.childEnv(extra))
}

export interface CliLine {
  /** performance.now() when the line arrived. */
  at: number
  text: string
}

export interface CliChild {
  child: ChildProcess
  exit: Promise<{code: null | number; signal: NodeJS.Signals | null}>
  /** Resolves with the first stdout line (already received or arriving) that matches. */
  line(matches: (text: string) => boolean, timeoutMs?: number): Promise<CliLine>
  lines: CliLine[]
  stderr(): string
}

/**
 * `node bin/dev.js ...args` (the TypeScript sources, as in development), or `node bin/run.js ...args`
 * (the built CLI: `npm run build` first), with stdout read line by line.
 */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  entry: 'bin/dev.js' | 'bin/run.js' = 'bin/dev.js',
): CliChild {
  const fromSources =
    entry === 'bin/dev.js' ? ['--import', 'tsx', '--conditions=development', '--no-warnings=ExperimentalWarning'] : []
  const child = spawn(process.execPath, [...fromSources, join(REPO_ROOT, entry), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: CliLine[] = []
  const waiters = new Set<() => void>()
  let partial = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const at = performance.now()
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop()!
    for (const text of parts) lines.push({text, at})
    for (const wake of waiters) wake()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exit = new Promise<{code: null | number; signal: NodeJS.Signals | null}>((resolve) => {
    child.once('close', (code, signal) => resolve({code, signal}))
  })
  return {
    child,
    lines,
    stderr: () => stderr,
    exit,
    line(matches, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((line) => matches(line.text))
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }

        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `no matching line within ${timeoutMs} ms; stdout:\n${lines.map((line) => line.text).join('\n')}\nstderr:\n${stderr}`,
            ),
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

export interface CommandRun {
  /** The process exit code the command asked for (0 when it returned normally). */
  exitCode: number
  stderr: string
  stdout: string
}

/**
 * Runs a command in-process with @oclif/test (so coverage counts it), with stdout as a pipe, and
 * calls `onStdout` with every chunk as it is written, so a test can act on what the command shows.
 */
export async function runCli(
  args: string[],
  onStdout: (chunk: string, all: string) => unknown = () => {},
): Promise<CommandRun> {
  const {runCommand} = await import('@oclif/test')
  const stdout = process.stdout as NodeJS.WriteStream & {isTTY?: boolean}
  const wasTTY = stdout.isTTY
  stdout.isTTY = false
  try {
    const pending = runCommand(args, {root: REPO_ROOT})
    // runCommand has put its capturing write in place: listen in on it.
    const capture = process.stdout.write
    let all = ''
    process.stdout.write = function (this: unknown, chunk: string | Uint8Array, ...rest: unknown[]) {
      const written = (capture as (...parameters: unknown[]) => boolean).call(this, chunk, ...rest)
      all += String(chunk)
      onStdout(String(chunk), all)
      return written
    } as typeof process.stdout.write
    const result = await pending
    const error = result.error as (Error & {oclif?: {exit?: number}}) | undefined
    return {stdout: result.stdout, stderr: result.stderr, exitCode: error ? (error.oclif?.exit ?? 1) : 0}
  } finally {
    stdout.isTTY = wasTTY
  }
}
