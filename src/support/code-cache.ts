/**
 * Loads the bundled CLI (dist/cidx.cjs, made by scripts/bundle/) with V8's code cache, so that
 * after the first run V8 no longer parses and compiles its megabyte of JavaScript: that was the
 * largest cost left in starting `cidx` once the modules were bundled (bench/reports/startup.md).
 * Node 22 does this itself (`module.enableCompileCache`); Node 20 has only the building blocks,
 * so this compiles the one CommonJS file with `vm.Script` and `cachedData` kept in the cache
 * directory. A missing, stale or unwritable cache only costs the speed-up, never a failure.
 */
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import {homedir, tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

export interface LoadOptions {
  /** Where cache files go; default: `<oclif cacheDir>/code-cache`. */
  cacheDir?: string
  /** Names this build of the bundle (a content hash), so a cache is never used for other code. */
  key: string
}

export interface LoadResult<T> {
  /** From the code cache; from source (the cache is then written at exit); or loaded before in this process. */
  compiled: 'already-loaded' | 'from-cache' | 'from-source'
  exports: T
}

/** oclif's cacheDir for the `cidx` dirname (CIDX_CACHE_DIR, ~/Library/Caches, XDG_CACHE_HOME, LOCALAPPDATA, ~/.cache). */
export function cidxCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.CIDX_CACHE_DIR) return env.CIDX_CACHE_DIR
  const home = env.HOME || homedir() || tmpdir()
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'cidx')
  const base = env.XDG_CACHE_HOME || (platform === 'win32' && env.LOCALAPPDATA) || join(home, '.cache')
  return join(base, 'cidx')
}

/** One file per bundle build, Node version and architecture: V8 rejects caches from another V8 anyway. */
function cacheFileName(bundle: string, key: string): string {
  return `${basename(bundle)}-${key}-${process.version}-${process.arch}.bin`
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/** Writes atomically (temp file + rename: parallel runs never read half a file) and drops caches of older builds. */
function writeCache(dir: string, file: string, data: Buffer, bundleName: string): void {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    const temporary = `${file}.${process.pid}.tmp`
    writeFileSync(temporary, data, {mode: 0o600})
    renameSync(temporary, file)
    for (const old of readdirSync(dir)) {
      if (old.startsWith(`${bundleName}-`) && join(dir, old) !== file) rmSync(join(dir, old), {force: true})
    }
  } catch {
    // A cache that cannot be written costs the next run its speed-up, nothing else.
  }
}

/**
 * How bundled code reaches `import()`. Code compiled by vm.Script cannot run `import()` itself once
 * it comes from the code cache (Node 20 loses the script's loader then), so the build
 * (scripts/bundle/dynamic-imports.js) routes the bundle's `await import(...)` calls to this
 * function, which lives in a normal module.
 */
export const DYNAMIC_IMPORT = Symbol.for('cidx.import')

function provideDynamicImport(): void {
  const global = globalThis as {[DYNAMIC_IMPORT]?: (specifier: string) => Promise<unknown>}
  global[DYNAMIC_IMPORT] ??= (specifier) => import(specifier)
}

/* eslint-disable max-params, unicorn/prefer-module -- Node's CommonJS module wrapper: its five parameters and their names are Node's. */
type ModuleWrapper = (
  exports: unknown,
  require: NodeJS.Require,
  module: Module,
  filename: string,
  dirname: string,
) => void
/* eslint-enable max-params, unicorn/prefer-module */

/**
 * Runs a CommonJS file like `require` does, registered under its path in `require.cache` (so a
 * later `require` of it gets this very instance), but compiled with the code cache when there is
 * a valid one.
 */
export function loadWithCodeCache<T>(bundle: string | URL, options: LoadOptions): LoadResult<T> {
  const filename = bundle instanceof URL ? fileURLToPath(bundle) : bundle
  const requireHere = createRequire(filename)
  const loaded = requireHere.cache[filename]
  if (loaded) return {exports: loaded.exports as T, compiled: 'already-loaded'}

  const dir = options.cacheDir ?? join(cidxCacheDir(), 'code-cache')
  const cacheFile = join(dir, cacheFileName(filename, options.key))
  const cachedData = readCache(cacheFile)
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), {filename, cachedData})
  const fromCache = cachedData !== undefined && !script.cachedDataRejected
  if (!fromCache) {
    // At exit the cache also holds every function this run compiled, not only the top level.
    process.once('exit', () => writeCache(dir, cacheFile, script.createCachedData(), basename(filename)))
  }

  provideDynamicImport()
  const module = new Module(filename)
  module.filename = filename
  module.paths = (Module as unknown as {_nodeModulePaths(from: string): string[]})._nodeModulePaths(dirname(filename))
  requireHere.cache[filename] = module
  try {
    const wrapper = script.runInThisContext() as ModuleWrapper
    wrapper.call(module.exports, module.exports, requireHere, module, filename, dirname(filename))
  } catch (error) {
    delete requireHere.cache[filename]
    throw error
  }

  module.loaded = true
  return {exports: module.exports as T, compiled: fromCache ? 'from-cache' : 'from-source'}
}
