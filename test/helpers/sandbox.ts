import {mkdir, mkdtemp, realpath, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A fresh user for the CLI under test: a temp HOME with the XDG layout, and an environment
 * without what the outer one would leak in. For a child process pass `env`; for an in-process run
 * (runCommand) `enter()` makes it the process's own until undone.
 */
export interface Sandbox {
  /** The temp dir (its real path) that holds everything below; also the working directory. */
  base: string
  /** First on the PATH of `env`, for a `cidx` the test puts there. */
  binDir: string
  /** oclif's cacheDir for `cidx` under this HOME (`$XDG_CACHE_HOME/cidx`). */
  cacheDir: string
  /** oclif's configDir for `cidx` under this HOME (`$XDG_CONFIG_HOME/cidx`). */
  configDir: string
  /** Makes `env` plus `extra` the process environment and `base` the working directory; returns what undoes it. */
  enter(extra?: NodeJS.ProcessEnv): () => void
  /** The outer environment less CIDX_*, XDG_*, NODE_ENV, colour and coverage variables, plus HOME, XDG_* and PATH. */
  env: NodeJS.ProcessEnv
  home: string
  /** Undoes every `enter()` still in force and deletes the temp dir. */
  remove(): Promise<void>
}

/** Variables the CLI, oclif or a child's coverage read, which a test must not inherit from whoever runs it. */
function leaksIntoCli(name: string): boolean {
  return (
    name.startsWith('CIDX_') ||
    name.startsWith('XDG_') ||
    ['FORCE_COLOR', 'NO_COLOR', 'NODE_ENV', 'NODE_V8_COVERAGE'].includes(name)
  )
}

/**
 * c8 merges raw V8 coverage by file: a child's differently transpiled copy of a source would garble
 * the counts of the in-process runs, which are what coverage measures; so `env` has no
 * NODE_V8_COVERAGE. `extra` is added to `env` (e.g. NO_COLOR for output compared as text).
 */
export async function createSandbox(prefix = 'cidx-sandbox-', extra: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const base = await realpath(await mkdtemp(join(tmpdir(), prefix)))
  const home = join(base, 'home')
  const binDir = join(base, 'bin')
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !leaksIntoCli(name)))
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    PATH: `${binDir}:${process.env.PATH}`,
    ...extra,
  })
  await mkdir(home)
  await mkdir(binDir)
  const undos: Array<() => void> = []
  return {
    base,
    home,
    configDir: join(env.XDG_CONFIG_HOME!, 'cidx'),
    cacheDir: join(env.XDG_CACHE_HOME!, 'cidx'),
    binDir,
    env,
    enter(more = {}) {
      const undo = replaceProcessEnv({...env, ...more}, base)
      undos.push(undo)
      return () => {
        // Once only: remove() may have undone it already.
        if (!undos.includes(undo)) return
        undos.splice(undos.indexOf(undo), 1)
        undo()
      }
    },
    async remove() {
      for (const undo of undos.splice(0).reverse()) undo()
      await rm(base, {recursive: true, force: true})
    },
  }
}

/** Swaps process.env for `env` and the working directory for `cwd` (no .code-indexer project above a fresh temp dir). */
function replaceProcessEnv(env: NodeJS.ProcessEnv, cwd: string): () => void {
  const saved = {...process.env}
  const savedCwd = process.cwd()
  setProcessEnv(env)
  process.chdir(cwd)
  return () => {
    process.chdir(savedCwd)
    setProcessEnv(saved)
  }
}

function setProcessEnv(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name]
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value
}
