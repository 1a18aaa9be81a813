/**
 * `npm run bench`: builds, then runs every benchmark in bench/ one after the other (never in
 * parallel: they would disturb each other's figures). Each writes its report to bench/reports/.
 * A benchmark that has an npm script (`bench:*` naming its file) runs through that script, so
 * it gets the Node options it needs; any other bench/*.js runs with plain node.
 */
import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BENCH_DIR = join(ROOT, 'bench')
/** Start-up first (the quietest machine), then the rest by name. */
const FIRST = ['startup']

/** Where a file runs: its place in FIRST, else after all of those. */
function rank(name) {
  const index = FIRST.indexOf(name.replace(/\.(js|ts)$/, ''))
  return index === -1 ? FIRST.length : index
}

function benchmarkFiles() {
  const files = readdirSync(BENCH_DIR).filter((name) => /\.(js|ts)$/.test(name) && name !== 'run-all.js')
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/** The npm script that runs `bench/<file>`, if there is one. */
function scriptFor(file, scripts) {
  return Object.keys(scripts).find(
    (name) =>
      name.startsWith('bench:') && new RegExp(`bench/${file.replace('.', String.raw`\.`)}(\\s|$)`).test(scripts[name]),
  )
}

function run(command, args) {
  console.log(`\n$ ${[command, ...args].join(' ')}`)
  return spawnSync(command, args, {cwd: ROOT, stdio: 'inherit'}).status ?? 1
}

function main() {
  if (run('npm', ['run', 'build']) !== 0) {
    process.exitCode = 1
    return
  }

  const {scripts} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  const failed = []
  for (const file of benchmarkFiles()) {
    const script = scriptFor(file, scripts)
    const status = script ? run('npm', ['run', script]) : run(process.execPath, [join('bench', file)])
    if (status !== 0) failed.push(file)
  }

  console.log(
    failed.length === 0 ? '\nAll benchmarks done; reports in bench/reports/.' : `\nFailed: ${failed.join(', ')}`,
  )
  process.exitCode = failed.length === 0 ? 0 : 1
}

main()
