/**
 * `npm run bench:startup`: what `cidx jobs list --json` costs next to a bare Node process doing
 * the same HTTP request with node:http. Budget (issue 3, "Speed"): ratio of medians <= 2.5.
 *
 * It builds dist/ (tsc + scripts/bundle/), stages the CLI as it is installed (package.json,
 * bin/run.js, dist/ and a freshly generated oclif manifest, node_modules linked) in a scratch
 * directory, so production mode is measured and no manifest ever appears in the working tree
 * (it would make the tests load dist/). It starts the local server on loopback with one page of
 * real jobs, runs the two commands in rotating order after warm-up rounds, prints the medians and
 * the ratio, and writes bench/reports/startup.md. For context it then times, in rounds of their
 * own, the first run (empty code cache) and the CLI without the bundle (tsc's output alone,
 * staged the same way): each compiles a megabyte of JavaScript, which slows whatever runs next.
 * Options: `--runs N` (default 20, at least 10), `--no-build` (use dist/ as it is).
 */
import {execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const REPORT = join(ROOT, 'bench', 'reports', 'startup.md')
const BUDGET = 2.5
const WARMUP_RUNS = 3
const JOBS = 20

const {values: options} = parseArgs({
  options: {runs: {type: 'string', default: '20'}, 'no-build': {type: 'boolean', default: false}},
})
const runs = Math.max(10, Number.parseInt(options.runs, 10) || 20)

function step(message) {
  process.stderr.write(`bench:startup: ${message}\n`)
}

/** Runs a command to completion; resolves with its wall time in ms and its stdout. The event loop stays free for the in-process server. */
function timed(command, args, {env, cwd}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, args, {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
    const out = []
    const err = []
    child.stdout.on('data', (chunk) => out.push(chunk))
    child.stderr.on('data', (chunk) => err.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (code === 0) {
        resolve({ms, stdout: Buffer.concat(out).toString()})
      } else {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`))
      }
    })
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

function build() {
  if (options['no-build']) return
  step('building dist/ (npm run build)')
  execFileSync('npm', ['run', '--silent', 'build'], {cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit']})
}

/**
 * The CLI as `npm install` lays it out, with the manifest `npm pack` adds; returns its bin/run.js.
 * `bundled: false` stages tsc's output alone, the CLI as it would be without scripts/bundle/.
 */
function stageInstalledCli(dir, {bundled}) {
  mkdirSync(join(dir, 'bin'), {recursive: true})
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  cpSync(join(ROOT, 'bin', 'run.js'), join(dir, 'bin', 'run.js'))
  if (bundled) cpSync(join(ROOT, 'dist'), join(dir, 'dist'), {recursive: true})
  else
    execFileSync(
      join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', join(ROOT, 'tsconfig.json'), '--outDir', join(dir, 'dist')],
      {stdio: 'inherit'},
    )
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  step(`generating the oclif manifest of the staged ${bundled ? 'bundled' : 'unbundled'} CLI`)
  execFileSync(join(ROOT, 'node_modules', '.bin', 'oclif'), ['manifest'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return join(dir, 'bin', 'run.js')
}

async function startLocalServer(dataDir) {
  const {startServer} = await import('@cidx/local-server')
  const server = await startServer({port: 0, dataDir, adminPassword: 'bench-admin-password'})
  const now = Date.now()
  for (let index = 0; index < JOBS; index++) {
    const created = new Date(now - (index + 1) * 60_000)
    await server.testing.insertJob({
      operation_type: index % 3 === 0 ? 'add_golden_repo' : 'sync_repository',
      status: index % 5 === 0 ? 'failed' : 'completed',
      created_at: created,
      started_at: created,
      completed_at: new Date(created.getTime() + 30_000),
      progress: 100,
      username: 'admin',
      result: {success: index % 5 !== 0, alias: `repo-${index % 4}`},
    })
  }

  const token = await server.testing.createAccessToken('admin', {ttlSeconds: 3600})
  return {server, token}
}

/** The bare client: one GET with node:http, the body to stdout. What any CLI needs at the least. */
const BARE_SCRIPT = [
  "const http = require('node:http')",
  "http.get(process.env.CIDX_SERVER_URL + '/api/jobs?limit=20', {headers: {authorization: 'Bearer ' + process.env.CIDX_TOKEN}}, (res) => {",
  "  let body = ''",
  "  res.setEncoding('utf8')",
  "  res.on('data', (chunk) => (body += chunk))",
  "  res.on('end', () => process.stdout.write(body))",
  '})',
].join('\n')

function checkOutputs(cli, bare) {
  const jobs = JSON.parse(cli)
  if (!Array.isArray(jobs) || jobs.length !== JOBS)
    throw new Error(`cidx printed ${Array.isArray(jobs) ? jobs.length : typeof jobs} jobs, expected ${JOBS}`)
  const page = JSON.parse(bare)
  if (!Array.isArray(page.jobs) || page.jobs.length !== JOBS) throw new Error('the bare request did not get the page')
}

function row(times, variant) {
  const values = times.get(variant)
  return `| ${variant.name} | ${median(values).toFixed(1)} | ${percentile(values, 90).toFixed(1)} | ${Math.min(...values).toFixed(1)} |`
}

function table(times) {
  return [
    '| command | median | p90 | min |',
    '|---|---:|---:|---:|',
    ...[...times.keys()].map((variant) => row(times, variant)),
  ]
}

function report({budgetTimes, contextTimes, cli, bare, ratio}) {
  return [
    '# Start-up: `cidx jobs list --json` next to a bare node:http request',
    '',
    `Command: \`npm run bench:startup\` (bench/startup.js). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${new Date().toISOString().slice(0, 10)}.`,
    'The CLI is staged as installed (package.json, bin/run.js, dist/, the oclif manifest). Wall time from spawn to exit, in ms.',
    `Every command fetches one page of ${JOBS} jobs from the local server on loopback (in the bench process) with`,
    '`CIDX_SERVER_URL` and `CIDX_TOKEN` set.',
    '',
    `## The budget: ${runs} rounds of the two, in rotating order, after ${WARMUP_RUNS} warm-up rounds`,
    '',
    ...table(budgetTimes),
    '',
    `**Ratio of medians, ${cli.name} / ${bare.name}: ${ratio.toFixed(2)}** (budget ${BUDGET}: ${ratio <= BUDGET ? 'within' : 'OVER'}).`,
    '',
    `## For context: what the bundle and the code cache save (${runs} rounds, measured after the budget pair)`,
    '',
    'Measured apart from the budget pair because a run that compiles a megabyte of JavaScript (the two below) slows',
    'whatever runs right after it on a 2-CPU machine.',
    '',
    ...table(contextTimes),
    '',
  ].join('\n')
}

/**
 * Every variant `runs` times, round after round, the order rotating each round (drifts in machine
 * load hit all alike), after warm-up rounds that also check the outputs.
 */
async function measure(variants, bare) {
  const all = [...variants, bare]
  step(`warming up (${WARMUP_RUNS} rounds of ${all.length} commands)`)
  for (let round = 0; round < WARMUP_RUNS; round++) {
    const bareOutput = (await bare.run()).stdout
    for (const variant of variants) checkOutputs((await variant.run()).stdout, bareOutput)
  }

  step(`measuring (${runs} rounds of ${all.length} commands)`)
  const times = new Map(all.map((variant) => [variant, []]))
  for (let round = 0; round < runs; round++) {
    for (let index = 0; index < all.length; index++) {
      const variant = all[(round + index) % all.length]
      times.get(variant).push((await variant.run()).ms)
    }
  }

  return times
}

async function main() {
  build()
  const scratch = mkdtempSync(join(tmpdir(), 'cidx-bench-startup-'))
  let server
  try {
    const bundledRunJs = stageInstalledCli(join(scratch, 'cli'), {bundled: true})
    const unbundledRunJs = stageInstalledCli(join(scratch, 'cli-unbundled'), {bundled: false})
    const local = await startLocalServer(join(scratch, 'server'))
    server = local.server
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      CIDX_CONFIG_DIR: join(scratch, 'config'),
      XDG_CONFIG_HOME: join(scratch, 'xdg'),
      CIDX_CACHE_DIR: join(scratch, 'cache'),
      CIDX_SERVER_URL: server.url,
      CIDX_TOKEN: local.token,
    }
    // A fresh working directory: no .code-indexer project above it to walk into.
    const context = {env, cwd: scratch}
    let firstRuns = 0
    const list =
      (runJs, extraEnv = {}) =>
      () =>
        timed(process.execPath, [runJs, 'jobs', 'list', '--json'], {...context, env: {...env, ...extraEnv}})
    const cli = {name: '`cidx jobs list --json`', run: list(bundledRunJs)}
    const coldCache = {
      name: '… with an empty code cache (a first run)',
      run: () => list(bundledRunJs, {CIDX_CACHE_DIR: join(scratch, `cold-${firstRuns++}`)})(),
    }
    const unbundled = {name: '… without scripts/bundle/ (tsc output only)', run: list(unbundledRunJs)}
    const bare = {
      name: 'bare `node -e` with node:http',
      run: () => timed(process.execPath, ['-e', BARE_SCRIPT], context),
    }
    const budgetTimes = await measure([cli], bare)
    const ratio = median(budgetTimes.get(cli)) / median(budgetTimes.get(bare))
    const contextTimes = await measure([cli, coldCache, unbundled], bare)
    writeFileSync(REPORT, report({budgetTimes, contextTimes, cli, bare, ratio}))
    for (const [variant, values] of budgetTimes)
      process.stdout.write(`${median(values).toFixed(1).padStart(7)} ms  ${variant.name.replaceAll('`', '')}\n`)
    process.stdout.write(`ratio: ${ratio.toFixed(2)} (budget ${BUDGET})\nreport: ${REPORT}\n`)
    if (ratio > BUDGET) process.exitCode = 1
  } finally {
    await server?.close()
    rmSync(scratch, {recursive: true, force: true})
  }
}

await main()
