import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, readdir, realpath, rm, stat, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {promisify} from 'node:util'

import {cidxCacheDir, DYNAMIC_IMPORT, loadWithCodeCache} from '../../src/support/code-cache.js'

const run = promisify(execFile)
const LOADER = new URL('../../src/support/code-cache.ts', import.meta.url).pathname

/** A CommonJS module like the bundle: it sees the usual wrapper variables and reaches import() through the loader. */
const FIXTURE = `
exports.answer = 42
exports.filename = __filename
exports.requireWorks = typeof require('node:path').join === 'function'
exports.importOs = () => globalThis[Symbol.for('cidx.import')]('node:os')
`

/**
 * Loads the fixture in a fresh Node process, as bin/run.js loads the bundle; prints how it was
 * compiled. The loader is required (CommonJS through tsx) like mocha loads it here, so the
 * child's coverage of it lines up with this process's.
 */
async function loadInChild(file: string, cacheDir: string, key: string): Promise<string> {
  const script = `
    const {loadWithCodeCache} = require(${JSON.stringify(LOADER)})
    const {exports, compiled} = loadWithCodeCache(${JSON.stringify(file)}, {key: ${JSON.stringify(key)}, cacheDir: ${JSON.stringify(cacheDir)}})
    exports.importOs().then((os) => process.stdout.write(compiled + ' ' + exports.answer + ' ' + typeof os.cpus))
  `
  const {stdout, stderr} = await run(process.execPath, ['--import', 'tsx', '-e', script])
  expect(stderr).to.equal('')
  return stdout
}

describe('code-cache: loadWithCodeCache', () => {
  let base: string
  let fixture: string
  let cacheDir: string

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-code-cache-')))
    fixture = join(base, 'bundle.cjs')
    cacheDir = join(base, 'cache', 'code-cache')
    await writeFile(fixture, FIXTURE)
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('compiles from source the first time, writes the cache at exit (private), and uses it next time', async () => {
    expect(await loadInChild(fixture, cacheDir, 'k1')).to.equal('from-source 42 function')
    const files = await readdir(cacheDir)
    expect(files).to.deep.equal([`bundle.cjs-k1-${process.version}-${process.arch}.bin`])
    expect((await stat(join(cacheDir, files[0]))).mode & 0o777).to.equal(0o600)
    expect((await stat(cacheDir)).mode & 0o777).to.equal(0o700)
    expect(await loadInChild(fixture, cacheDir, 'k1')).to.equal('from-cache 42 function')
  })

  it('a new build (key) gets a new cache and the old one is removed', async () => {
    await loadInChild(fixture, cacheDir, 'k1')
    expect(await loadInChild(fixture, cacheDir, 'k2')).to.equal('from-source 42 function')
    expect(await readdir(cacheDir)).to.deep.equal([`bundle.cjs-k2-${process.version}-${process.arch}.bin`])
  })

  it('a corrupt cache is rejected, the code still runs, and the cache is rewritten', async () => {
    await loadInChild(fixture, cacheDir, 'k1')
    const [file] = await readdir(cacheDir)
    await writeFile(join(cacheDir, file), 'not a code cache')
    expect(await loadInChild(fixture, cacheDir, 'k1')).to.equal('from-source 42 function')
    expect(await loadInChild(fixture, cacheDir, 'k1')).to.equal('from-cache 42 function')
  })

  it('a cache that cannot be written costs nothing but the speed-up', async () => {
    const blocked = join(base, 'a-file')
    await writeFile(blocked, '')
    expect(await loadInChild(fixture, join(blocked, 'code-cache'), 'k1')).to.equal('from-source 42 function')
    expect(await loadInChild(fixture, join(blocked, 'code-cache'), 'k1')).to.equal('from-source 42 function')
  })

  // In this process the cache would be written when mocha exits, after the temp dir is gone: point it nowhere writable.
  const unwritable = () => join(fixture, 'no-cache-here')

  it('registers the module like require does: one instance, found again by require and by a second load', async () => {
    const first = loadWithCodeCache<{answer: number; filename: string; requireWorks: boolean}>(pathToFileURL(fixture), {
      key: 'k',
      cacheDir: unwritable(),
    })
    expect(first.compiled).to.equal('from-source')
    expect(first.exports).to.include({answer: 42, filename: fixture, requireWorks: true})
    expect(createRequire(import.meta.url)(fixture)).to.equal(first.exports)
    const second = loadWithCodeCache(fixture, {key: 'k', cacheDir: unwritable()})
    expect(second).to.deep.equal({exports: first.exports, compiled: 'already-loaded'})
    expect(typeof (globalThis as Record<symbol, unknown>)[DYNAMIC_IMPORT]).to.equal('function')
  })

  it('an error while the module runs propagates, and nothing half-loaded stays registered', async () => {
    const broken = join(base, 'broken.cjs')
    await writeFile(broken, "throw new Error('boom')")
    expect(() => loadWithCodeCache(broken, {key: 'k', cacheDir: unwritable()})).to.throw('boom')
    await writeFile(broken, 'exports.fixed = true')
    expect(loadWithCodeCache(broken, {key: 'k', cacheDir: unwritable()}).exports).to.deep.equal({fixed: true})
  })
})

describe('code-cache: cidxCacheDir', () => {
  it('is oclif cacheDir of cidx on every platform', () => {
    expect(cidxCacheDir({CIDX_CACHE_DIR: '/c', HOME: '/h'}, 'linux')).to.equal('/c')
    expect(cidxCacheDir({HOME: '/h'}, 'darwin')).to.equal('/h/Library/Caches/cidx')
    expect(cidxCacheDir({HOME: '/h', XDG_CACHE_HOME: '/x'}, 'linux')).to.equal('/x/cidx')
    expect(cidxCacheDir({HOME: '/h'}, 'linux')).to.equal('/h/.cache/cidx')
    expect(cidxCacheDir({HOME: '/h', LOCALAPPDATA: '/l'}, 'win32')).to.equal('/l/cidx')
    expect(cidxCacheDir({}, 'linux')).to.match(/[\\/]\.cache[\\/]cidx$/)
  })

  it('reads the process environment by default', () => {
    const saved = process.env.CIDX_CACHE_DIR
    process.env.CIDX_CACHE_DIR = '/somewhere'
    try {
      expect(cidxCacheDir()).to.equal('/somewhere')
    } finally {
      if (saved === undefined) delete process.env.CIDX_CACHE_DIR
      else process.env.CIDX_CACHE_DIR = saved
    }
  })
})
