/**
 * Test plumbing for the status/watch tests: the local server over real HTTP (restartable on the
 * same port and data dir), real git repositories and real jobs, seeded jobs of any status, and
 * the CLI run in-process (runCommand) or as a real child process.
 */
import {type SeedJob, type ServerHandle, type ServerOptions, startServer} from '@cidx/local-server'
import {execFileSync, spawn, type ChildProcess} from 'node:child_process'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const ADMIN_PASSWORD = 'admin-watch-password'
export const USER = 'alice'
export const USER_PASSWORD = 'alice-watch-password'

const CIDX_VARIABLES = ['CIDX_SERVER_URL', 'CIDX_TOKEN', 'CIDX_USERNAME', 'CIDX_PASSWORD', 'CIDX_CONFIG_DIR', 'NO_COLOR', 'FORCE_COLOR'] as const

export interface WatchServer {
  server: ServerHandle
  url: string
  root: string
  /** Closes the server and starts it again on the same port and data dir (jobs left running become failed). */
  restart(): Promise<void>
  /** Closes the server only (for "server gone" tests); `restart()` brings it back. */
  close(): Promise<void>
  stop(): Promise<void>
  /** A job row as given, owned by alice unless said; returns its ID. */
  seed(job?: SeedJob): string
  update(jobId: string, changes: Omit<SeedJob, 'job_id'>): void
  /** A real activation job of alice's (clone + index of the golden repository), started now. */
  activate(userAlias: string): Promise<string>
  /** The job as the server answers it to alice. */
  job(jobId: string): Promise<Record<string, unknown>>
  /** Environment for a CLI child process: isolated config dir and home, alice's credentials. */
  childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv
}

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], {cwd, stdio: 'ignore'})
}

/** A real git repository of `fileCount` small text files (the indexer works through them in batches of 20). */
export function createGitRepo(path: string, fileCount: number): string {
  for (let n = 0; n < fileCount; n++) {
    const file = join(path, 'src', `file-${n}.txt`)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, `watch fixture ${n}\n`)
  }

  git(path, 'init', '--quiet', '--initial-branch=main')
  git(path, 'add', '--all')
  git(path, 'commit', '--quiet', '-m', 'fixture')
  return path
}

async function api(url: string, method: string, path: string, token?: string, body?: unknown): Promise<any> {
  const response = await fetch(url + path, {
    method,
    headers: {...(token ? {authorization: `Bearer ${token}`} : {}), ...(body === undefined ? {} : {'content-type': 'application/json'})},
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

async function login(url: string, username: string, password: string): Promise<string> {
  return (await api(url, 'POST', '/auth/login', undefined, {username, password})).access_token
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The local server in a temp dir with user alice (normal_user) and, when `goldenFiles` is given,
 * a golden repository `fixture` of that many files, ready for alice to activate.
 */
export async function startWatchServer(options: Partial<ServerOptions> & {goldenFiles?: number} = {}): Promise<WatchServer> {
  const {goldenFiles, ...serverOptions} = options
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'cidx-watch-')))
  const dataDir = join(root, 'data')
  const start = (port: number) => startServer({workers: 2, ...serverOptions, port, dataDir, adminPassword: ADMIN_PASSWORD})
  let server = await start(0)
  const port = Number(new URL(server.url).port)
  let closed = false
  await server.testing.createUser(USER, USER_PASSWORD, 'normal_user')
  if (goldenFiles !== undefined) {
    const repo = createGitRepo(join(root, 'golden-source'), goldenFiles)
    const adminToken = await login(server.url, 'admin', ADMIN_PASSWORD)
    const {job_id: jobId} = await api(server.url, 'POST', '/api/admin/golden-repos', adminToken, {repo_url: repo, alias: 'fixture'})
    await waitUntil('the golden repository', async () => (await api(server.url, 'GET', `/api/jobs/${jobId}`, adminToken)).status === 'completed', 60_000)
  }

  const handle: WatchServer = {
    get server() {
      return server
    },
    url: server.url,
    root,
    async restart() {
      if (!closed) await server.close()
      server = await start(port)
      closed = false
    },
    async close() {
      closed = true
      await server.close()
    },
    async stop() {
      if (!closed) await server.close()
      rmSync(root, {recursive: true, force: true})
    },
    seed(job = {}) {
      return server.testing.insertJob({username: USER, ...job}).job_id
    },
    update(jobId, changes) {
      server.testing.updateJob(jobId, changes)
    },
    async activate(userAlias) {
      const token = await login(server.url, USER, USER_PASSWORD)
      return (await api(server.url, 'POST', '/api/repos/activate', token, {golden_repo_alias: 'fixture', user_alias: userAlias})).job_id
    },
    async job(jobId) {
      const token = await login(server.url, USER, USER_PASSWORD)
      return api(server.url, 'GET', `/api/jobs/${jobId}`, token)
    },
    childEnv(extra = {}) {
      const home = join(root, 'home')
      mkdirSync(home, {recursive: true})
      const env: NodeJS.ProcessEnv = {...process.env}
      for (const name of CIDX_VARIABLES) delete env[name]
      // c8 merges raw V8 coverage by file: a child's differently transpiled copy of a source
      // would garble the counts of the in-process runs, which are what coverage measures.
      delete env.NODE_V8_COVERAGE
      return {
        ...env,
        HOME: home,
        XDG_CONFIG_HOME: join(home, '.config'),
        CIDX_CONFIG_DIR: join(home, 'cidx-config'),
        CIDX_SERVER_URL: server.url,
        CIDX_USERNAME: USER,
        CIDX_PASSWORD: USER_PASSWORD,
        ...extra,
      }
    },
  }
  return handle
}

/** Sets the process environment for in-process runCommand calls; returns the function that undoes it. */
export function useCliEnv(watch: WatchServer, extra: Record<string, string> = {}): () => void {
  const saved = new Map<string, string | undefined>()
  const env = watch.childEnv(extra)
  const savedCwd = process.cwd()
  const cwd = join(watch.root, 'cwd')
  mkdirSync(cwd, {recursive: true})
  for (const name of [...CIDX_VARIABLES, 'HOME', 'XDG_CONFIG_HOME', ...Object.keys(extra)]) {
    saved.set(name, process.env[name])
    if (env[name] === undefined) delete process.env[name]
    else process.env[name] = env[name]
  }

  // No .code-indexer project above a fresh temp dir.
  process.chdir(cwd)
  return () => {
    process.chdir(savedCwd)
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

export interface CliLine {
  text: string
  /** performance.now() when the line arrived. */
  at: number
}

export interface CliChild {
  child: ChildProcess
  lines: CliLine[]
  stderr(): string
  /** Resolves with the first stdout line (already received or arriving) that matches. */
  line(matches: (text: string) => boolean, timeoutMs?: number): Promise<CliLine>
  exit: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

/**
 * `node bin/dev.js ...args` (the TypeScript sources, as in development), or `node bin/run.js ...args`
 * (the built CLI: `npm run build` first), with stdout read line by line.
 */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, entry: 'bin/dev.js' | 'bin/run.js' = 'bin/dev.js'): CliChild {
  const fromSources = entry === 'bin/dev.js' ? ['--import', 'tsx', '--conditions=development', '--no-warnings=ExperimentalWarning'] : []
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
  const exit = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
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
          reject(new Error(`no matching line within ${timeoutMs} ms; stdout:\n${lines.map((line) => line.text).join('\n')}\nstderr:\n${stderr}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

export interface CommandRun {
  stdout: string
  stderr: string
  /** The process exit code the command asked for (0 when it returned normally). */
  exitCode: number
}

/**
 * Runs a command in-process with @oclif/test (so coverage counts it), with stdout as a pipe, and
 * calls `onStdout` with every chunk as it is written, so a test can act on what the command shows.
 */
export async function runCli(args: string[], onStdout: (chunk: string, all: string) => unknown = () => {}): Promise<CommandRun> {
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
