/**
 * Cancel effectiveness: from `cidx jobs cancel --yes <id>` starting to the job being `cancelled`
 * on the server with no child process of it left alive.
 *
 * The local server runs in this process with real jobs: golden-repository additions that are
 * either indexing a real git repository (throttled, so they are caught mid-index) or cloning from
 * an HTTP git server that never answers (git and git-remote-http alive). For each job, once it is
 * really running, the bench starts `node bin/run.js jobs cancel --yes <id>` as a child process and
 * polls the server (every 5 ms) until the job reads `cancelled` and `testing.childPids(id)` is
 * empty; the pids seen before the cancel are then checked in /proc to be gone. It also records
 * when the command itself exited (it waits until it has seen the job stop), and, for comparison,
 * the same with a bare DELETE from the bench instead of the CLI (what the server alone takes).
 *
 * Needs the build (`npm run build`): it runs the compiled CLI and server, as users do: the CLI
 * as installed (with its oclif manifest), or with `--checkout` the checkout's bin/run.js as it is.
 * Options: `--jobs 24` (half indexing, half cloning), `--checkout`. Writes bench/reports/cancel.md.
 */

import {startServer} from '@cidx/local-server'
import {execFileSync, spawn} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const REPORT = join(REPO_ROOT, 'bench/reports/cancel.md')
const ADMIN_PASSWORD = 'bench-admin-password'
/** 600 files in batches of 20, 100 ms apart: about 3 s of indexing, so the cancel lands mid-index. */
const SOURCE_FILES = 600
const JOB_THROTTLE_MS = 100
const TARGET_P95_MS = 1000

function percentile(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)]
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return {count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)}
}

function makeSourceRepo(path) {
  for (let n = 0; n < SOURCE_FILES; n++) {
    const file = join(path, 'src', `area-${n % 12}`, `module-${n}.js`)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, `export const module${n} = ${n}\n`)
  }

  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', ...args], {
      cwd: path,
      stdio: 'ignore',
    })
  git('init', '--quiet', '--initial-branch=main')
  git('add', '--all')
  git('commit', '--quiet', '-m', 'bench source')
}

/** An HTTP git server that accepts and never answers: a clone from it runs until cancelled. */
async function hangingGitServer() {
  const sockets = new Set()
  let requests = 0
  const server = createServer(() => requests++)
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${server.address().port}/never/answers.git`,
    requests: () => requests,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => {
        server.close(resolve)
      })
    },
  }
}

/** Alive means running: a zombie has exited already (only its exit status waits to be collected). */
function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch {
    return false
  }
}

async function waitUntil(what, check, timeoutMs = 30_000, intervalMs = 5) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/**
 * The CLI as a user has it installed: package.json, bin/run.js and dist/, plus the oclif manifest
 * that `npm pack` adds (without it oclif loads every command to learn their flags at each start).
 * Built in a temp dir, so no manifest ever appears in the checkout (it would make tests load dist/).
 */
function installedCli(root) {
  const dir = join(root, 'cli')
  mkdirSync(join(dir, 'bin'), {recursive: true})
  cpSync(join(REPO_ROOT, 'package.json'), join(dir, 'package.json'))
  cpSync(join(REPO_ROOT, 'bin/run.js'), join(dir, 'bin/run.js'))
  cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), {recursive: true})
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'))
  const oclif = join(REPO_ROOT, 'node_modules/oclif/bin/run.js')
  execFileSync(process.execPath, [oclif, 'manifest'], {
    cwd: dir,
    stdio: 'ignore',
    env: {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
  })
  return join(dir, 'bin/run.js')
}

function cidx(bin, args, env) {
  const child = spawn(process.execPath, [bin, ...args], {cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  return new Promise((resolve) => {
    child.once('close', (code) => resolve({code, output, at: performance.now()}))
  })
}

class Bench {
  constructor({server, env, source, hanging, bin}) {
    Object.assign(this, {server, env, source, hanging, bin, count: 0})
  }

  async api(method, path, body) {
    this.token ??= await this.login()
    const response = await fetch(this.server.url + path, {
      method,
      headers: {authorization: `Bearer ${this.token}`, ...(body ? {'content-type': 'application/json'} : {})},
      body: body ? JSON.stringify(body) : undefined,
    })
    return response.json()
  }

  checkNoSurvivors(pids) {
    const survivors = pids.filter((pid) => isAlive(pid))
    if (survivors.length > 0) throw new Error(`child processes still alive after the cancel: ${survivors.join(', ')}`)
  }

  async login() {
    const response = await fetch(`${this.server.url}/auth/login`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({username: 'admin', password: ADMIN_PASSWORD}),
    })
    return (await response.json()).access_token
  }

  /** One measurement: the CLI's start to cancelled-and-no-child-left, and to the CLI's exit. */
  async measure(kind) {
    const jobId = await this.runningJob(kind)
    const pidsBefore = this.server.testing.childPids(jobId)
    const startedAt = performance.now()
    const command = cidx(this.bin, ['jobs', 'cancel', '--yes', jobId], this.env)
    const stoppedAt = await this.stoppedAt(jobId)
    const {code, output, at: exitedAt} = await command
    if (code !== 0) throw new Error(`jobs cancel exited ${code}: ${output}`)
    this.checkNoSurvivors(pidsBefore)
    return {kind, effectiveMs: stoppedAt - startedAt, commandMs: exitedAt - startedAt, pids: pidsBefore.length}
  }

  /** The same without the CLI: a bare DELETE to cancelled-and-no-child-left, what the server itself takes. */
  async measureServerAlone(kind) {
    const jobId = await this.runningJob(kind)
    const pidsBefore = this.server.testing.childPids(jobId)
    const startedAt = performance.now()
    await this.api('DELETE', `/api/jobs/${jobId}`)
    const stoppedAt = await this.stoppedAt(jobId)
    this.checkNoSurvivors(pidsBefore)
    return {kind, serverMs: stoppedAt - startedAt}
  }

  /** Starts a golden-repository addition and returns its id once it is really at work in `kind`. */
  async runningJob(kind) {
    const alias = `bench-${kind}-${++this.count}`
    const repoUrl = kind === 'clone' ? this.hanging.url : this.source
    const requestsBefore = this.hanging.requests()
    const {job_id: jobId} = await this.api('POST', '/api/admin/golden-repos', {repo_url: repoUrl, alias})
    await (kind === 'clone'
      ? waitUntil(
          'git to be connected',
          () => this.server.testing.childPids(jobId).length > 0 && this.hanging.requests() > requestsBefore,
        )
      : waitUntil('the index phase', async () => {
          const job = await this.api('GET', `/api/jobs/${jobId}`)
          return job.current_phase === 'index' && job.phase_detail && !job.phase_detail.startsWith('0/')
        }))

    return jobId
  }

  async stoppedAt(jobId) {
    return waitUntil('the job to be cancelled with no child left', async () => {
      const job = await this.api('GET', `/api/jobs/${jobId}`)
      return job.status === 'cancelled' && this.server.testing.childPids(jobId).length === 0
        ? performance.now()
        : undefined
    })
  }
}

const fixed = (ms) => ms.toFixed(0)

function report(samples, alone, checkout) {
  const row = (label, list) => {
    const effective = summarize(list.map((sample) => sample.effectiveMs))
    const command = summarize(list.map((sample) => sample.commandMs))
    return `| ${label} | ${effective.count} | ${fixed(effective.p50)} | ${fixed(effective.p95)} | ${fixed(effective.max)} | ${fixed(command.p50)} | ${fixed(command.p95)} |`
  }

  const serverRow = (label, list) => {
    const stats = summarize(list.map((sample) => sample.serverMs))
    return `| ${label} | ${stats.count} | ${fixed(stats.p50)} | ${fixed(stats.p95)} | ${fixed(stats.max)} |`
  }

  const overall = summarize(samples.map((sample) => sample.effectiveMs))
  const verdict = overall.p95 < TARGET_P95_MS ? 'met' : 'NOT met'
  return [
    '# Cancel effectiveness: `cidx jobs cancel --yes <id>` to the job cancelled with no child process left',
    '',
    `Command: \`npm run build && node bench/cancel.js\`. Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}),`,
    `${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0].toFixed(1)} at the end (figures grow with it: every step here is CPU-bound).`,
    `The local server runs in the bench process (2 workers, \`jobThrottleMs\` ${JOB_THROTTLE_MS});`,
    'each job is a real golden-repository addition, caught either mid-index (a real git repository of',
    `${SOURCE_FILES} files) or mid-clone (git talking to an HTTP server that never answers). Once the job is at`,
    'work, the bench spawns `node bin/run.js jobs cancel --yes <full id>` (credentials from CIDX_USERNAME/',
    checkout
      ? "CIDX_PASSWORD, token cached after a warm-up run; `--checkout`: the checkout's bin/run.js, no oclif"
      : 'CIDX_PASSWORD, token cached after a warm-up run; the CLI as installed: a copy of package.json, bin/ and',
    checkout
      ? 'manifest, so oclif loads every command at start) and polls the server every 5 ms until the job reads'
      : 'dist/ with the oclif manifest `npm pack` adds) and polls the server every 5 ms until the job reads',
    '`cancelled` and `testing.childPids(id)` is empty; the pids seen before the cancel are then checked',
    'in /proc to be gone. "Effective" = that moment minus the spawn; "command" = the CLI exit minus the',
    'spawn (it returns once it has itself seen the job stop). Times include the CLI start-up.',
    '',
    '| jobs | n | effective p50 (ms) | effective p95 (ms) | effective max (ms) | command p50 (ms) | command p95 (ms) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    row('all', samples),
    row(
      'mid-index',
      samples.filter((sample) => sample.kind === 'index'),
    ),
    row(
      'mid-clone',
      samples.filter((sample) => sample.kind === 'clone'),
    ),
    '',
    'The server alone, for comparison: a bare `DELETE /api/jobs/{id}` from the bench to the same state',
    '(same jobs, same polling), so the difference is what the CLI adds (mostly its start-up):',
    '',
    '| jobs | n | p50 (ms) | p95 (ms) | max (ms) |',
    '|---|---:|---:|---:|---:|',
    serverRow('all', alone),
    serverRow(
      'mid-index',
      alone.filter((sample) => sample.kind === 'index'),
    ),
    serverRow(
      'mid-clone',
      alone.filter((sample) => sample.kind === 'clone'),
    ),
    '',
    `Target: p95 under ${TARGET_P95_MS} ms (${verdict}: p95 ${fixed(overall.p95)} ms). Every job ended \`cancelled\`, every`,
    `command exited 0, and no child process outlived its job (${samples.reduce((sum, sample) => sum + sample.pids, 0)} git processes seen, all gone).`,
    '',
  ].join('\n')
}

async function main() {
  const {values} = parseArgs({
    options: {jobs: {type: 'string', default: '24'}, checkout: {type: 'boolean', default: false}},
  })
  const total = Number(values.jobs)
  if (!(total >= 2)) throw new Error('--jobs must be 2 or more')
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-cancel-'))
  const source = join(root, 'source')
  makeSourceRepo(source)
  const hanging = await hangingGitServer()
  const server = await startServer({
    port: 0,
    dataDir: join(root, 'data'),
    adminPassword: ADMIN_PASSWORD,
    workers: 2,
    jobThrottleMs: JOB_THROTTLE_MS,
  })
  const home = join(root, 'home')
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    CIDX_CONFIG_DIR: join(home, 'cidx'),
    CIDX_SERVER_URL: server.url,
    CIDX_USERNAME: 'admin',
    CIDX_PASSWORD: ADMIN_PASSWORD,
  }
  delete env.CIDX_TOKEN
  const bin = values.checkout ? join(REPO_ROOT, 'bin/run.js') : installedCli(root)
  const bench = new Bench({server, env, source, hanging, bin})
  try {
    // Warm-up, not counted: logs in once (the token is then cached) and warms the OS file cache.
    await bench.measure('index')
    const samples = []
    const alone = []
    for (let n = 0; n < total; n++) {
      const kind = n % 2 === 0 ? 'index' : 'clone'
      const sample = await bench.measure(kind)
      samples.push(sample)
      const direct = await bench.measureServerAlone(kind)
      alone.push(direct)
      console.log(
        `${String(n + 1).padStart(2)}/${total} ${kind.padEnd(5)} effective ${sample.effectiveMs.toFixed(0)} ms, command ${sample.commandMs.toFixed(0)} ms, server alone ${direct.serverMs.toFixed(0)} ms`,
      )
    }

    const text = report(samples, alone, values.checkout)
    mkdirSync(dirname(REPORT), {recursive: true})
    writeFileSync(REPORT, text)
    console.log(`\n${text}`)
  } finally {
    await server.close()
    await hanging.close()
    rmSync(root, {recursive: true, force: true})
  }
}

await main()
