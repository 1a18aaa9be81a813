/**
 * Step two of `npm run build`, after tsc: turns dist/ into one bundle so the installed CLI starts
 * fast. Resolving, reading and compiling some 270 modules (@oclif/core, got and their helpers)
 * cost more than everything else `cidx jobs list` does (docs/build.md, bench/reports/startup.md).
 *
 * - dist/cidx.cjs: src/index.ts (what bin/run.js and oclif load: `execute`, the command map, the
 *   help class, the hook) with everything it needs from node_modules, as one CommonJS file. Each
 *   command is evaluated when a run asks for it (lazy-commands.js); modules imported with
 *   `await import()` (listr2, the proxy agent, the table code) only when used. The dependencies
 *   are patched to defer what a run does not use (patches.js, applied by apply-patches.js).
 * - dist/index.js becomes a loader that takes the exports from the bundle through
 *   src/support/code-cache.ts (as CommonJS: dist/code-cache.cjs), so V8 compiles the bundle once and
 *   reuses the compiled code on later runs (oclif-target.js).
 *
 * tsc's other output stays in dist/ as it is, unused by the bundled CLI. The sources, the tests and
 * bin/dev.js never see any of this: they run src/ through tsx.
 */

import {build} from 'esbuild'
import {createHash} from 'node:crypto'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

import {checkEveryPatchUsed, rewriteDependencies} from './apply-patches.js'
import {checkNoImportCalls, DYNAMIC_IMPORT_BANNER} from './dynamic-imports.js'
import {checkedCommandIds, lazyCommands} from './lazy-commands.js'
import {checkTargetExports, loaderSource, targetExports} from './oclif-target.js'
import {PATCHES} from './patches.js'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))
const BUNDLE = join(DIST, 'cidx.cjs')
const PACKAGE_JSON = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))

/** esbuild options both outputs share. */
const NODE_CJS = {bundle: true, format: 'cjs', platform: 'node', target: 'node20.19', logLevel: 'warning'}

// Checked on tsc's output before anything is replaced: what the loader exports, and which commands there are.
const exported = targetExports(PACKAGE_JSON.oclif)
await checkTargetExports(DIST, exported)
const commandIds = await checkedCommandIds(DIST)

const {metafile} = await build({
  ...NODE_CJS,
  entryPoints: [join(DIST, 'index.js')],
  outfile: BUNDLE,
  // Smaller source, less to parse; names are kept (error classes are told apart by name).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  // oclif reaches for TypeScript only to run a linked plugin's sources, never in an installed CLI.
  external: ['typescript', 'ts-node'],
  banner: {js: DYNAMIC_IMPORT_BANNER},
  plugins: [lazyCommands(DIST, commandIds), rewriteDependencies(PATCHES)],
  metafile: true,
})
checkEveryPatchUsed(metafile, PATCHES)

const bundled = readFileSync(BUNDLE, 'utf8')
checkNoImportCalls(bundled)
const key = createHash('sha256').update(bundled).digest('hex').slice(0, 16)

await build({...NODE_CJS, entryPoints: [join(DIST, 'support', 'code-cache.js')], outfile: join(DIST, 'code-cache.cjs')})
writeFileSync(join(DIST, 'index.js'), loaderSource(exported, key))
rmSync(join(DIST, 'index.js.map'), {force: true})
process.stderr.write(
  `bundle: ${commandIds.length} commands in ${relative(process.cwd(), BUNDLE)} (${Math.round(Buffer.byteLength(bundled) / 1024)} KiB), key ${key}\n`,
)
