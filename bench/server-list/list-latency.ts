import {startServer} from '@cidx/local-server'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {fillJobs, HEAVY_USER} from './fill-jobs.js'
import {ADMIN_PASSWORD, login, percentile} from './http.js'

const USER_PASSWORD = 'bench-user-password'
export const WARMUP_REQUESTS = 50

interface Scenario {
  name: string
  path: string
  who: 'admin' | 'heavy' | 'light'
}

const WEEK_MS = 7 * 24 * 3_600_000
/** `GET /api/jobs/stats` over the last 7 days (the fill spreads the jobs over 30). */
const STATS_WEEK = `/api/jobs/stats?since=${new Date(Date.now() - WEEK_MS).toISOString()}`

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
  {name: 'stats: user (10 % of jobs), last 7 days', path: STATS_WEEK, who: 'heavy'},
  {name: 'stats: admin (all jobs), last 7 days', path: STATS_WEEK, who: 'admin'},
]

/** One scenario's first-page latencies at one size. */
export interface Row {
  max: number
  p50: number
  p95: number
  scenario: string
  size: number
  total: number
}

/** The process's memory and the database's size at one size. */
export interface Memory {
  dbFileMb: number
  fillSeconds: number
  rssAfterRequestsMb: number
  rssFilledMb: number
  rssStartMb: number
  size: number
}

/** A listing (its jobs and true total) or statistics (how many jobs they counted). */
interface Answer {
  jobs?: unknown[]
  sample?: number
  total?: number
}

function jobsCounted(body: Answer): number | undefined {
  return Array.isArray(body.jobs) ? body.total : body.sample
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 1024 / 1024)
}

async function timeRequests(url: string, token: string, count: number): Promise<number[]> {
  const timings: number[] = []
  for (let n = 0; n < count; n++) {
    const started = performance.now()
    const response = await fetch(url, {headers: {authorization: `Bearer ${token}`}})
    const body = (await response.json()) as Answer
    const elapsed = performance.now() - started
    if (response.status !== 200 || jobsCounted(body) === undefined)
      throw new Error(`unexpected answer ${response.status}`)
    timings.push(elapsed)
  }

  return timings.sort((a, b) => a - b)
}

/** Starts a server on a fresh data dir, stores `size` jobs and times every scenario's first page. */
export async function benchSize(size: number, requests: number): Promise<{memory: Memory; rows: Row[]}> {
  const dataDir = mkdtempSync(join(tmpdir(), `cidx-bench-${size}-`))
  const server = await startServer({port: 0, dataDir, adminPassword: ADMIN_PASSWORD, cleanupIntervalMs: 24 * 3_600_000})
  try {
    await server.testing.createUser(HEAVY_USER, USER_PASSWORD, 'normal_user')
    await server.testing.createUser('user-01', USER_PASSWORD, 'normal_user')
    globalThis.gc?.()
    const rssStartMb = rssMb()
    const fillStarted = performance.now()
    fillJobs(server, size)
    const fillSeconds = (performance.now() - fillStarted) / 1000
    // Logged in after the fill: a connection left idle through a long fill is closed by the server.
    const tokens = {
      heavy: await login(server.url, HEAVY_USER, USER_PASSWORD),
      light: await login(server.url, 'user-01', USER_PASSWORD),
      admin: await login(server.url, 'admin', ADMIN_PASSWORD),
    }
    globalThis.gc?.()
    const rssFilledMb = rssMb()
    const rows: Row[] = []
    for (const scenario of SCENARIOS) {
      const url = server.url + scenario.path
      await timeRequests(url, tokens[scenario.who], WARMUP_REQUESTS)
      const timings = await timeRequests(url, tokens[scenario.who], requests)
      const answer = (await (
        await fetch(url, {headers: {authorization: `Bearer ${tokens[scenario.who]}`}})
      ).json()) as Answer
      rows.push({
        size,
        scenario: scenario.name,
        p50: percentile(timings, 0.5),
        p95: percentile(timings, 0.95),
        max: timings.at(-1) as number,
        total: jobsCounted(answer) as number,
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
