/**
 * `npm run bench:server`: how fast the local server answers the first page of `GET /api/jobs`
 * with 10 k, 100 k and 1 M jobs stored, and how fast a running job is cancelled.
 *
 * Everything goes over real HTTP on loopback (keep-alive fetch, client and server in this
 * process), so the figures are round trips: an upper bound of the server-side time.
 * Options: `--sizes 10000,100000` (default 10000,100000,1000000), `--requests 400`.
 * Writes bench/reports/server-list.md and prints the same tables.
 */

import type {AddressInfo, Socket} from 'node:net'

import {type ServerHandle, startServer} from '@cidx/local-server'
import {spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const ADMIN_PASSWORD = 'bench-admin-password'
const USER_PASSWORD = 'bench-user-password'
const HEAVY_USER = 'heavy'
/** The heavy user owns this share of all jobs; the rest is spread over OTHER_USERS users. */
const HEAVY_SHARE = 0.1
const OTHER_USERS = 99
const ROWS_PER_STATEMENT = 200
const ROWS_PER_TRANSACTION = 50_000
const WARMUP_REQUESTS = 50
const CANCEL_RUNS = 10

/** Status mix of the stored jobs: mostly finished, few active (the filter must not scan for them). */
const STATUS_MIX: [string, number][] = [
  ['completed', 0.7],
  ['failed', 0.1],
  ['cancelled', 0.06],
  ['completed_partial', 0.1],
  ['pending', 0.03],
  ['running', 0.01],
]
const OPERATIONS = [
  'sync_repository',
  'activate_repository',
  'add_golden_repo',
  'global_repo_refresh',
  'deactivate_repository',
]
const COLUMNS = [
  'job_id',
  'operation_type',
  'status',
  'created_us',
  'started_us',
  'completed_us',
  'updated_us',
  'progress',
  'result',
  'error',
  'username',
  'repository',
]

interface Scenario {
  name: string
  path: string
  who: 'admin' | 'heavy' | 'light'
}

const SCENARIOS: Scenario[] = [
  {name: 'user (10 % of jobs), no filter', path: '/api/jobs?limit=50', who: 'heavy'},
  {name: 'user (10 % of jobs), status=completed', path: '/api/jobs?limit=50&status=completed', who: 'heavy'},
  {name: 'user (10 % of jobs), status=running (1 %)', path: '/api/jobs?limit=50&status=running', who: 'heavy'},
  {name: 'user (0.9 % of jobs), no filter', path: '/api/jobs?limit=50', who: 'light'},
  {name: 'admin (all jobs), no filter', path: '/api/jobs?limit=50', who: 'admin'},
  {name: 'admin (all jobs), status=failed', path: '/api/jobs?limit=50&status=failed', who: 'admin'},
  {
    name: 'user, repository + since filters',
    path: '/api/jobs?limit=50&repository=repo-7&since=2000-01-01',
    who: 'heavy',
  },
]

interface Row {
  max: number
  p50: number
  p95: number
  scenario: string
  size: number
  total: number
}

interface Memory {
  dbFileMb: number
  fillSeconds: number
  rssAfterRequestsMb: number
  rssFilledMb: number
  rssStartMb: number
  size: number
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024)
}

function pickStatus(random: number): string {
  let cumulative = 0
  for (const [status, share] of STATUS_MIX) {
    cumulative += share
    if (random < cumulative) return status
  }

  return 'completed'
}

/** Fills the jobs table with `size` rows: multi-row INSERTs, many per transaction. */
function fillJobs(server: ServerHandle, size: number): void {
  const {db} = server.testing
  const placeholders = `(${COLUMNS.map(() => '?').join(', ')})`
  const insertMany = db.prepare(
    `INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES ${Array.from({length: ROWS_PER_STATEMENT}).fill(placeholders).join(', ')}`,
  )
  const nowUs = Date.now() * 1000
  const spanUs = 30 * 24 * 3600 * 1_000_000
  const rowValues = (n: number): unknown[] => {
    const createdUs = nowUs - spanUs + Math.floor((spanUs * n) / size)
    const status = pickStatus(Math.random())
    const finished = status !== 'pending' && status !== 'running'
    const username =
      n % Math.round(1 / HEAVY_SHARE) === 0 ? HEAVY_USER : `user-${String(n % OTHER_USERS).padStart(2, '0')}`
    const alias = `repo-${Math.floor(n / 7) % 20}`
    return [
      randomUUID(),
      OPERATIONS[n % OPERATIONS.length],
      status,
      createdUs,
      status === 'pending' ? null : createdUs + 1_000_000,
      finished ? createdUs + 30_000_000 : null,
      createdUs + 2_000_000,
      finished ? 100 : status === 'running' ? 40 : 0,
      JSON.stringify({alias, success: status !== 'failed'}),
      status === 'failed' ? 'git fetch failed' : null,
      username,
      alias,
    ]
  }

  const insertChunk = db.transaction((start: number, end: number) => {
    for (let first = start; first < end; first += ROWS_PER_STATEMENT) {
      const values: unknown[] = []
      for (let n = first; n < first + ROWS_PER_STATEMENT; n++) values.push(...rowValues(n))
      insertMany.run(values)
    }
  })
  for (let start = 0; start < size; start += ROWS_PER_TRANSACTION)
    insertChunk(start, Math.min(size, start + ROWS_PER_TRANSACTION))
  db.pragma('optimize')
}

async function login(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({username, password}),
  })
  return ((await response.json()) as {access_token: string}).access_token
}

async function timeRequests(url: string, token: string, count: number): Promise<number[]> {
  const timings: number[] = []
  for (let n = 0; n < count; n++) {
    const started = performance.now()
    const response = await fetch(url, {headers: {authorization: `Bearer ${token}`}})
    const body = (await response.json()) as {jobs: unknown[]}
    const elapsed = performance.now() - started
    if (response.status !== 200 || !Array.isArray(body.jobs)) throw new Error(`unexpected answer ${response.status}`)
    timings.push(elapsed)
  }

  return timings.sort((a, b) => a - b)
}

async function benchSize(size: number, requests: number): Promise<{memory: Memory; rows: Row[]}> {
  const dataDir = mkdtempSync(join(tmpdir(), `cidx-bench-${size}-`))
  const server = await startServer({port: 0, dataDir, adminPassword: ADMIN_PASSWORD, cleanupIntervalMs: 24 * 3_600_000})
  try {
    await server.testing.createUser(HEAVY_USER, USER_PASSWORD, 'normal_user')
    await server.testing.createUser('user-01', USER_PASSWORD, 'normal_user')
    const tokens = {
      heavy: await login(server.url, HEAVY_USER, USER_PASSWORD),
      light: await login(server.url, 'user-01', USER_PASSWORD),
      admin: await login(server.url, 'admin', ADMIN_PASSWORD),
    }
    globalThis.gc?.()
    const rssStartMb = rssMb()
    const fillStarted = performance.now()
    fillJobs(server, size)
    const fillSeconds = (performance.now() - fillStarted) / 1000
    globalThis.gc?.()
    const rssFilledMb = rssMb()
    const rows: Row[] = []
    for (const scenario of SCENARIOS) {
      const url = server.url + scenario.path
      await timeRequests(url, tokens[scenario.who], WARMUP_REQUESTS)
      const timings = await timeRequests(url, tokens[scenario.who], requests)
      const {total} = (await (
        await fetch(url, {headers: {authorization: `Bearer ${tokens[scenario.who]}`}})
      ).json()) as {
        total: number
      }
      rows.push({
        size,
        scenario: scenario.name,
        p50: percentile(timings, 0.5),
        p95: percentile(timings, 0.95),
        max: timings.at(-1) as number,
        total,
      })
    }

    globalThis.gc?.()
    const dbFile = spawnSync('du', ['-sm', join(dataDir, 'server.sqlite')], {encoding: 'utf8'}).stdout.split('\t')[0]
    return {
      rows,
      memory: {size, fillSeconds, rssStartMb, rssFilledMb, rssAfterRequestsMb: rssMb(), dbFileMb: Number(dbFile)},
    }
  } finally {
    await server.close()
    rmSync(dataDir, {recursive: true, force: true})
  }
}

/** An HTTP "git server" that never answers: git stays connected until it is killed. */
async function hangingGitServer(): Promise<{close(): Promise<void>; url: string}> {
  const sockets = new Set<Socket>()
  const server: Server = createServer(() => {})
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
      })
    },
  }
}

function makeRepo(path: string, files: number): void {
  mkdirSync(join(path, 'src'), {recursive: true})
  for (let n = 0; n < files; n++) writeFileSync(join(path, 'src', `file-${n}.txt`), `bench file ${n}\n`.repeat(20))
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', ...args], {cwd: path})
  git('init', '--quiet', '--initial-branch=main')
  git('add', '--all')
  git('commit', '--quiet', '-m', 'bench')
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => {
      setTimeout(resolve, 2)
    })
  }
}

/** What the cancellation bench reads of the server's answers: a submission's job_id, a job's state. */
interface JobAnswer {
  current_phase: null | string
  job_id: string
  status: string
}

/**
 * DELETE of a running job until the job reads `cancelled` and no process of it is left, for a
 * job inside `git clone` (git + git-remote-http killed) and for one inside the index phase.
 */
async function benchCancellation(): Promise<{phase: string; timings: number[]}[]> {
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-cancel-'))
  const repo = join(root, 'repo')
  makeRepo(repo, 400)
  const hanging = await hangingGitServer()
  const server = await startServer({
    port: 0,
    dataDir: join(root, 'data'),
    adminPassword: ADMIN_PASSWORD,
    jobThrottleMs: 50,
  })
  try {
    const token = await login(server.url, 'admin', ADMIN_PASSWORD)
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(server.url + path, {
        method,
        headers: {authorization: `Bearer ${token}`, ...(body ? {'content-type': 'application/json'} : {})},
        body: body ? JSON.stringify(body) : undefined,
      })
      return (await response.json()) as JobAnswer
    }

    const results: {phase: string; timings: number[]}[] = []
    for (const phase of ['clone', 'index']) {
      const timings: number[] = []
      for (let run = 0; run < CANCEL_RUNS; run++) {
        const {job_id: jobId} = await api('POST', '/api/admin/golden-repos', {
          repo_url: phase === 'clone' ? hanging.url : repo,
          alias: `cancel-${phase}-${run}`,
        })
        await until(async () => {
          const job = await api('GET', `/api/jobs/${jobId}`)
          if (phase === 'clone') return server.testing.childPids(jobId).length > 0 ? true : undefined
          return job.current_phase === 'index' ? true : undefined
        })
        const started = performance.now()
        await api('DELETE', `/api/jobs/${jobId}`)
        await until(async () =>
          (await api('GET', `/api/jobs/${jobId}`)).status === 'cancelled' &&
          server.testing.childPids(jobId).length === 0
            ? true
            : undefined,
        )
        timings.push(performance.now() - started)
      }

      results.push({phase, timings: timings.sort((a, b) => a - b)})
    }

    return results
  } finally {
    await server.close()
    await hanging.close()
    rmSync(root, {recursive: true, force: true})
  }
}

const fmt = (ms: number) => ms.toFixed(2)

/**
 * Each size runs in a child process of its own, so that its memory figures start from a clean
 * process and are not inflated by the previous, smaller run.
 */
function benchSizeInChild(size: number, requests: number): {memory: Memory; rows: Row[]} {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--one-size', String(size), '--requests', String(requests)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  if (child.status !== 0) throw new Error(`the run for ${size} jobs failed (exit ${child.status})`)
  return JSON.parse(child.stdout) as {memory: Memory; rows: Row[]}
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {sizes: {type: 'string'}, requests: {type: 'string'}, 'one-size': {type: 'string'}},
  })
  const requests = Number(values.requests ?? 400)
  if (values['one-size']) {
    process.stdout.write(JSON.stringify(await benchSize(Number(values['one-size']), requests)))
    return
  }

  const sizes = (values.sizes ?? '10000,100000,1000000').split(',').map(Number)
  const rows: Row[] = []
  const memory: Memory[] = []
  for (const size of sizes) {
    console.error(`filling and measuring ${size.toLocaleString('en')} jobs...`)
    const result = benchSizeInChild(size, requests)
    rows.push(...result.rows)
    memory.push(result.memory)
  }

  console.error('measuring cancellation...')
  const cancellation = await benchCancellation()

  const lines = [
    '# Local server: first page of `GET /api/jobs` and cancellation',
    '',
    `Command: \`npm run bench:server\` (bench/server-list.ts). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}),`,
    `${new Date().toISOString().slice(0, 10)}. Each figure is a full HTTP round trip over loopback (keep-alive fetch, client and`,
    `server in one process), so it is an upper bound of the server-side time. ${requests} timed requests per row after ${WARMUP_REQUESTS} warm-up`,
    `requests; page size 50. Jobs: the "heavy" user owns 10 %, 99 other users share the rest; statuses 70 % completed,`,
    '10 % failed, 10 % completed_partial, 6 % cancelled, 3 % pending, 1 % running.',
    '',
    '## First page latency (ms)',
    '',
    '| jobs stored | request | p50 | p95 | max | total in answer |',
    '|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.size.toLocaleString('en')} | ${row.scenario} | ${fmt(row.p50)} | ${fmt(row.p95)} | ${fmt(row.max)} | ${row.total.toLocaleString('en')} |`,
    ),
    '',
    '## Memory (RSS of the process holding server and client; one fresh process per size)',
    '',
    '| jobs stored | fill time | RSS before fill | RSS after fill | RSS after all requests | database file |',
    '|---:|---:|---:|---:|---:|---:|',
    ...memory.map(
      (entry) =>
        `| ${entry.size.toLocaleString('en')} | ${entry.fillSeconds.toFixed(1)} s | ${entry.rssStartMb} MB | ${entry.rssFilledMb} MB | ${entry.rssAfterRequestsMb} MB | ${entry.dbFileMb} MB |`,
    ),
    '',
    '## Cancellation of a running job (ms, DELETE until the job reads `cancelled` and none of its processes is alive)',
    '',
    '| phase when cancelled | runs | p50 | max |',
    '|---|---:|---:|---:|',
    ...cancellation.map(
      (entry) =>
        `| ${entry.phase === 'clone' ? 'git clone (git + git-remote-http running)' : 'indexing (between batches)'} | ${entry.timings.length} | ${fmt(percentile(entry.timings, 0.5))} | ${fmt(entry.timings.at(-1) as number)} |`,
    ),
    '',
  ]
  const report = lines.join('\n')
  mkdirSync(new URL('reports/', import.meta.url), {recursive: true})
  writeFileSync(new URL('reports/server-list.md', import.meta.url), report)
  console.log(report)
}

await main()
