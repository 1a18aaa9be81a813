/**
 * `npm run bench:startup`: what `cidx jobs list --json` costs next to a bare Node process doing
 * the same HTTP request with node:http. Budget (issue 3, "Speed"): ratio of medians <= 2.5.
 *
 * It builds dist/ (tsc + scripts/bundle.js), stages the CLI as it is installed (package.json,
 * bin/run.js, dist/ and a freshly generated oclif manifest, node_modules linked) in a scratch
 * directory, so production mode is measured and no manifest ever appears in the working tree
 * (it would make the tests load dist/). It starts the local server on loopback with one page of
 * real jobs, runs both commands interleaved after warm-up runs, prints both medians and the
 * ratio, and writes bench/reports/startup.md.
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

const {values: options} = parseArgs({options: {runs: {type: 'string', default: '20'}, 'no-build': {type: 'boolean', default: false}}})
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
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`))
      else resolve({ms, stdout: Buffer.concat(out).toString()})
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

/** The CLI as `npm install` lays it out, with the manifest `npm pack` adds; returns its bin/run.js. */
function stageInstalledCli(dir) {
  mkdirSync(join(dir, 'bin'), {recursive: true})
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  cpSync(join(ROOT, 'bin', 'run.js'), join(dir, 'bin', 'run.js'))
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), {recursive: true})
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  step('generating the oclif manifest of the staged CLI')
  execFileSync(join(ROOT, 'node_modules', '.bin', 'oclif'), ['manifest'], {cwd: dir, stdio: ['ignore', 'ignore', 'inherit']})
  return join(dir, 'bin', 'run.js')
}

async function startLocalServer(dataDir) {
  const {startServer} = await import('@cidx/local-server')
  const server = await startServer({port: 0, dataDir, adminPassword: 'bench-admin-password'})
  const now = Date.now()
  for (let index = 0; index < JOBS; index++) {
    const created = new Date(now - (index + 1) * 60_000)
    server.testing.insertJob({
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
  if (!Array.isArray(jobs) || jobs.length !== JOBS) throw new Error(`cidx printed ${Array.isArray(jobs) ? jobs.length : typeof jobs} jobs, expected ${JOBS}`)
  const page = JSON.parse(bare)
  if (!Array.isArray(page.jobs) || page.jobs.length !== JOBS) throw new Error('the bare request did not get the page')
}

function report(cliTimes, bareTimes, ratio) {
  const row = (name, command, times) =>
    `| ${name} | \`${command}\` | ${median(times).toFixed(1)} | ${percentile(times, 90).toFixed(1)} | ${Math.min(...times).toFixed(1)} |`
  return [
    '# Start-up: `cidx jobs list --json` next to a bare node:http request',
    '',
    `Command: \`npm run bench:startup\` (bench/startup.js). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}),`,
    `${new Date().toISOString().slice(0, 10)}. Production mode: the bundled \`dist/\` and the oclif manifest, staged as installed. ${runs} timed runs of each, interleaved,`,
    `after ${WARMUP_RUNS} warm-up runs each; wall time from spawn to exit, in ms. Both fetch one page of ${JOBS} jobs from the local`,
    'server on loopback (in the bench process) with `CIDX_SERVER_URL` and `CIDX_TOKEN` set.',
    '',
    '| run | command | median | p90 | min |',
    '|---|---|---:|---:|---:|',
    row('cidx', 'node bin/run.js jobs list --json', cliTimes),
    row('bare', 'node -e "<http.get, print body>"', bareTimes),
    '',
    `**Ratio of medians: ${ratio.toFixed(2)}** (budget ${BUDGET}: ${ratio <= BUDGET ? 'within' : 'OVER'}).`,
    '',
  ].join('\n')
}

/** Both commands, `runs` times each, interleaved (which goes first alternates), after warm-up runs that also check the outputs. */
async function measure(cli, bare) {
  step(`warming up (${WARMUP_RUNS} runs each)`)
  for (let index = 0; index < WARMUP_RUNS; index++) checkOutputs((await cli()).stdout, (await bare()).stdout)
  step(`measuring (${runs} runs each, interleaved)`)
  const cliTimes = []
  const bareTimes = []
  for (let index = 0; index < runs; index++) {
    if (index % 2 === 0) {
      cliTimes.push((await cli()).ms)
      bareTimes.push((await bare()).ms)
    } else {
      bareTimes.push((await bare()).ms)
      cliTimes.push((await cli()).ms)
    }
  }

  return {cliTimes, bareTimes}
}

async function main() {
  build()
  const scratch = mkdtempSync(join(tmpdir(), 'cidx-bench-startup-'))
  let server
  try {
    const runJs = stageInstalledCli(join(scratch, 'cli'))
    const local = await startLocalServer(join(scratch, 'server'))
    server = local.server
    const env = {
      PATH: process.env.PATH,
      HOME: scratch,
      CIDX_CONFIG_DIR: join(scratch, 'config'),
      XDG_CONFIG_HOME: join(scratch, 'xdg'),
      CIDX_SERVER_URL: server.url,
      CIDX_TOKEN: local.token,
    }
    // A fresh working directory: no .code-indexer project above it to walk into.
    const context = {env, cwd: scratch}
    const {cliTimes, bareTimes} = await measure(
      () => timed(process.execPath, [runJs, 'jobs', 'list', '--json'], context),
      () => timed(process.execPath, ['-e', BARE_SCRIPT], context),
    )
    const ratio = median(cliTimes) / median(bareTimes)
    writeFileSync(REPORT, report(cliTimes, bareTimes, ratio))
    process.stdout.write(`cidx jobs list --json: median ${median(cliTimes).toFixed(1)} ms\n`)
    process.stdout.write(`bare node:http GET:    median ${median(bareTimes).toFixed(1)} ms\n`)
    process.stdout.write(`ratio: ${ratio.toFixed(2)} (budget ${BUDGET})\n`)
    process.stdout.write(`report: ${REPORT}\n`)
    if (ratio > BUDGET) process.exitCode = 1
  } finally {
    await server?.close()
    rmSync(scratch, {recursive: true, force: true})
  }
}

await main()
