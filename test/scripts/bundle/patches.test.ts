import {expect} from 'chai'
import {build} from 'esbuild'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

interface Patch {
  file: string
  name: string
  replace: string
  why: string
  with: string
}

interface ApplyPatches {
  applyPatches(path: string, source: string, patches: Patch[]): string
  checkEveryPatchUsed(metafile: {inputs: Record<string, unknown>}, patches: Patch[]): void
  rewriteDependencies(patches: Patch[]): import('esbuild').Plugin
}

/** The build's own modules are plain JavaScript, without type declarations. */
const buildModule = <T>(file: string) =>
  import(new URL(`../../../scripts/bundle/${file}`, import.meta.url).href) as Promise<T>

const byName = (patches: Patch[], name: string) => patches.find((patch) => patch.name === name)!

describe('scripts/bundle/patches: the dependency patches and their checks', () => {
  let PATCHES: Patch[]
  let patching: ApplyPatches
  let base: string

  before(async () => {
    ;({PATCHES} = await buildModule<{PATCHES: Patch[]}>('patches.js'))
    patching = await buildModule<ApplyPatches>('apply-patches.js')
  })

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cidx-patches-'))
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  /** Bundles `entry` of a project in `base` whose node_modules hold `files`, with the patches. */
  async function bundleWith(files: Record<string, string>, entry: string): Promise<string> {
    for (const [path, contents] of Object.entries(files)) {
      await mkdir(dirname(join(base, path)), {recursive: true})
      await writeFile(join(base, path), contents)
    }

    await writeFile(join(base, 'entry.js'), entry)
    const result = await build({
      entryPoints: [join(base, 'entry.js')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      plugins: [patching.rewriteDependencies(PATCHES)],
    })
    return result.outputFiles[0].text
  }

  it('each says why, and fits its file in node_modules as installed', async () => {
    for (const patch of PATCHES) {
      expect(patch.why, patch.name).to.be.a('string').that.is.not.empty
      const path = join(ROOT, 'node_modules', patch.file)
      expect(patching.applyPatches(path, await readFile(path, 'utf8'), [patch]), patch.name).to.include(patch.with)
    }
  })

  it('patch the dependency files a build bundles, and only those', async () => {
    const sort = '.sort((a, b) => a.id.localeCompare(b.id));'
    const bundled = await bundleWith(
      {
        'node_modules/@oclif/core/package.json': '{"name": "@oclif/core"}',
        'node_modules/@oclif/core/lib/config/plugin.js': `exports.sorted = (commands) => commands${sort}\n`,
        'node_modules/other/index.js': `exports.sorted = (commands) => commands${sort}\n`,
      },
      "require('@oclif/core/lib/config/plugin.js'); require('other')\n",
    )
    expect(bundled).to.include('a.id < b.id ? -1')
    expect(bundled).to.include('a.id.localeCompare(b.id)')
  })

  it("leave a copy nested in another package's node_modules alone: it is another version", async () => {
    const sort = '.sort((a, b) => a.id.localeCompare(b.id));'
    const bundled = await bundleWith(
      {
        'node_modules/other/package.json': '{"name": "other"}',
        'node_modules/other/index.js': "module.exports = require('@oclif/core/lib/config/plugin.js')\n",
        'node_modules/other/node_modules/@oclif/core/package.json': '{"name": "@oclif/core"}',
        'node_modules/other/node_modules/@oclif/core/lib/config/plugin.js':
          "exports.sorted = (commands) => commands.sort((a, b) => a.id.localeCompare(b.id, 'en'));\n",
        'node_modules/@oclif/core/package.json': '{"name": "@oclif/core"}',
        'node_modules/@oclif/core/lib/config/plugin.js': `exports.sorted = (commands) => commands${sort}\n`,
      },
      "require('@oclif/core/lib/config/plugin.js'); require('other')\n",
    )
    expect(bundled).to.include('a.id < b.id ? -1')
    expect(bundled).to.include('a.id.localeCompare(b.id, "en")')
  })

  it('fail the build, naming file and patch, when the text a patch replaces has changed', async () => {
    const changed = bundleWith(
      {
        'node_modules/@oclif/core/package.json': '{"name": "@oclif/core"}',
        'node_modules/@oclif/core/lib/config/plugin.js':
          "exports.sorted = (commands) => commands.sort((a, b) => a.id.localeCompare(b.id, 'en'));\n",
      },
      "require('@oclif/core/lib/config/plugin.js')\n",
    )
    const error = await changed.then(
      () => {},
      (error_: Error) => error_,
    )
    expect(error?.message).to.match(
      /node_modules\/@oclif\/core\/lib\/config\/plugin\.js: the patch "@oclif\/core: command IDs sorted without ICU" of scripts\/bundle\/patches\.js no longer finds the text it replaces/,
    )
  })

  it('fail the build when a file uses more of a module than its stand-in provides', async () => {
    const path = join(ROOT, 'node_modules', 'got', 'dist', 'source', 'core', 'options.js')
    const source = `${await readFile(path, 'utf8')}\nexport const proxies = http2wrapper.proxies;\n`
    expect(() => patching.applyPatches(path, source, PATCHES)).to.throw(
      /the patch "got: http2-wrapper on first use" .* the file now uses proxies, which the stand-in does not provide/,
    )
  })

  it('fail the build when the bundle no longer has a patched file', () => {
    const got = byName(PATCHES, 'got: http2-wrapper on first use')
    const sort = byName(PATCHES, '@oclif/core: command IDs sorted without ICU')
    const inputs = {'node_modules/got/dist/source/core/options.js': {}, 'dist/index.js': {}}
    expect(() => patching.checkEveryPatchUsed({inputs}, [got])).not.to.throw()
    expect(() => patching.checkEveryPatchUsed({inputs}, [got, sort])).to.throw(
      /the patch "@oclif\/core: command IDs sorted without ICU" .* no node_modules\/@oclif\/core\/lib\/config\/plugin\.js any more/,
    )
  })
})
