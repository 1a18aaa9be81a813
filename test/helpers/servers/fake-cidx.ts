import type {AddressInfo} from 'node:net'

import {FEATURES_HEADER, type WireJob} from '@cidx/local-server'
import {randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'

import {isRecord} from '../../../src/support/json.js'
import {fakeJwt} from '../fixtures/fake-jwt.js'
import {pythonIso} from '../fixtures/job-fixtures.js'

/**
 * A small CIDX server on loopback that does what a running real CIDX server was seen to do. With
 * `paging: 'defect'` its job listing reads only `limit` + active jobs from storage and slices
 * that at `offset`, so nothing past the newest ~50 jobs of each status filter is reachable and
 * `total` is not the true count; it filters by status only. With `paging: 'correct'` it pages the
 * whole listing and, when it has `features` (named in /health and in a header of every API
 * answer, as the local server does), applies the other filters too. Besides: GET /health behind
 * the token; logins and rotating refresh tokens, a spent one being a replay, and with
 * `refreshFails` a 500 after spending; a running job cancelled ends `cancelled` with no error and
 * progress 0; `finish` and `restart` end jobs as the real job tracker writes them (failed with
 * progress 0 and no result, partial as `completed` with `result.partial`).
 */

export interface FakeCidxOptions {
  /**
   * The local server's extensions, named in GET /health and in a header of every API answer;
   * `job_filters` makes a correctly paging server filter by everything. None: a real server.
   */
  features?: string[]
  /** GET /health as a real server answers it: behind the token, with this status and body. */
  health?: FakeHealth
  jobs?: WireJob[]
  paging: 'correct' | 'defect'
  /** A real server's refresh defect: POST /api/auth/refresh spends the token, then answers 500. */
  refreshFails?: boolean
  /** The Bearer token every /api call must carry (or one the fake issued). */
  token?: string
  /** Who may log in (POST /auth/login), by name: the password. */
  users?: Record<string, string>
}

export interface FakeHealth {
  /** Sent as JSON; a string is sent as it is, as an HTML page (a proxy's error page). */
  body: unknown
  status: number
}

export interface FakeCidx {
  /** Every DELETE /api/admin/jobs/cleanup: its query parameters. */
  cleanups: URLSearchParams[]
  close(): Promise<void>
  /**
   * Ends a job as a real server's job tracker writes it: `failed` with the error, progress 0 and
   * no result; a partial result as `completed` with `result.partial: true`; or completed.
   */
  finish(jobId: string, how: 'completed' | 'partial' | {error: string}): void
  /** The real server's GET /health, when given; tests may change it between requests. */
  health?: FakeHealth
  /** How many times GET /health was asked. */
  healthChecks: number
  /** Every GET /api/jobs/{id}: the ID asked for. */
  jobReads: string[]
  /** The stored jobs; tests may change them between requests. */
  jobs: WireJob[]
  /** Every listing request: its query parameters. */
  listings: URLSearchParams[]
  /** How many times POST /auth/login succeeded. */
  logins: number
  /** Issues a pair as a login would (a JWT valid `seconds`, a refresh token), for a test to store. */
  mint(username: string, seconds: number): {accessToken: string; refreshToken: string}
  /** How many times POST /api/auth/refresh was asked. */
  refreshes: number
  /** Every request, in order: method and path. */
  requests: string[]
  /** What a real server's restart leaves: every pending or running job failed, "Job interrupted by server restart". */
  restart(): void
  token: string
  url: string
}

/** GET /health as a running real server answered it (to a caller with a token). */
const OBSERVED_HEALTH = {
  status: 'healthy',
  message: 'CIDX Server is running',
  uptime: 90,
  active_jobs: 0,
  job_queue: {active_jobs: 0, pending_jobs: 0, failed_jobs: 0},
  maintenance_mode: false,
  version: '11.79.0',
  database: {users_db: 'healthy', jobs_db: 'healthy'},
}

const ACTIVE = new Set(['pending', 'running', 'resolving_prerequisites'])
const CANCELLABLE = new Set(['pending', 'running'])
const FINISHED = new Set(['completed', 'completed_partial', 'failed', 'cancelled'])

function newestFirst(a: WireJob, b: WireJob): number {
  return Date.parse(b.created_at) - Date.parse(a.created_at)
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
}

function validationError(response: ServerResponse, field: string, value: string): void {
  const message = 'Input should be a valid integer, unable to parse string as an integer'
  send(response, 422, {
    error: 'validation_error',
    message: 'Request validation failed. Check the request parameters.',
    detail: [{loc: ['query', field], msg: message, type: 'int_parsing', input: value}],
    details: {
      field_errors: [{field: `query.${field}`, message, rejected_value: value, error_type: 'int_parsing'}],
      error_count: 1,
    },
  })
}

/** `limit` as a real server reads it: default 10, clamped to 1..100, then capped at 50. */
function pageLimit(raw: null | string): null | number {
  if (raw === null) return 10
  if (!/^-?\d+$/.test(raw)) return null
  return Math.min(50, Math.min(100, Math.max(1, Number(raw))))
}

function matchesExtraFilters(job: WireJob, query: URLSearchParams): boolean {
  const since = query.get('since')
  const until = query.get('until')
  const type = query.get('operation_type')
  const repository = query.get('repository')
  const user = query.get('username')
  if (type && job.operation_type !== type) return false
  if (repository && job.result?.alias !== repository) return false
  if (user && job.username !== user) return false
  if (since && Date.parse(job.created_at) < Date.parse(since)) return false
  if (until && Date.parse(job.created_at) > Date.parse(until)) return false
  return true
}

export async function startFakeCidx(options: FakeCidxOptions): Promise<FakeCidx> {
  const token = options.token ?? 'fake-token'
  const fake: Omit<FakeCidx, 'close' | 'url'> = {
    jobs: options.jobs ?? [],
    jobReads: [],
    listings: [],
    cleanups: [],
    logins: 0,
    refreshes: 0,
    requests: [],
    mint,
    finish,
    restart,
    healthChecks: 0,
    health: options.health,
    token,
  }
  /** Running jobs asked to cancel, which end at their next read. */
  const stopping = new Set<string>()
  /** Access tokens issued by login or refresh, and refresh tokens: whose, and whether spent. */
  const issued = new Set<string>()
  const refreshTokens = new Map<string, {spent: boolean; username: string}>()
  function mint(username: string, seconds: number): {accessToken: string; refreshToken: string} {
    const now = Date.now() / 1000
    const accessToken = fakeJwt({username, role: 'admin', iat: now, exp: now + seconds, jti: randomUUID()})
    const refreshToken = `rt-${randomUUID()}`
    issued.add(accessToken)
    refreshTokens.set(refreshToken, {spent: false, username})
    return {accessToken, refreshToken}
  }

  function tokenAnswer(response: ServerResponse, username: string): void {
    const {accessToken, refreshToken} = mint(username, 600)
    send(response, 200, {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'bearer',
      user: {username, role: 'admin'},
    })
  }

  function logIn(response: ServerResponse, body: Record<string, unknown>): void {
    const {password, username} = body
    if (typeof username !== 'string' || options.users?.[username] !== password) {
      return send(response, 401, {detail: 'Invalid credentials'})
    }

    fake.logins++
    tokenAnswer(response, username)
  }

  /** Rotation as a real server does it: the token presented is spent, a spent one is a replay. */
  function refresh(response: ServerResponse, body: Record<string, unknown>): void {
    fake.refreshes++
    const presented = typeof body.refresh_token === 'string' ? refreshTokens.get(body.refresh_token) : undefined
    if (!presented) return send(response, 401, {detail: 'Invalid refresh token'})
    if (presented.spent) return send(response, 401, {detail: 'Token replay attack detected'})
    presented.spent = true
    if (options.refreshFails) {
      return send(response, 500, {
        error: 'internal_server_error',
        message: 'An internal server error occurred. Please try again later.',
        correlation_id: randomUUID(),
      })
    }

    tokenAnswer(response, presented.username)
  }

  const filtersEverything = options.paging === 'correct' && (options.features ?? []).includes('job_filters')

  function list(response: ServerResponse, query: URLSearchParams): void {
    fake.listings.push(query)
    const limit = pageLimit(query.get('limit'))
    if (limit === null) return validationError(response, 'limit', query.get('limit') ?? '')
    const rawOffset = query.get('offset') ?? '0'
    if (!/^-?\d+$/.test(rawOffset)) return validationError(response, 'offset', rawOffset)
    const offset = Math.max(0, Number(rawOffset))
    const status = query.get('status')
    let matching = fake.jobs.filter((job) => !status || job.status === status).sort(newestFirst)
    if (filtersEverything) matching = matching.filter((job) => matchesExtraFilters(job, query))
    // The defect: only `limit` stored jobs plus the active ones are read, then sliced at offset.
    const read =
      options.paging === 'defect'
        ? [
            ...matching.filter((job) => ACTIVE.has(job.status)),
            ...matching.filter((job) => !ACTIVE.has(job.status)).slice(0, limit),
          ].sort(newestFirst)
        : matching
    send(response, 200, {jobs: read.slice(offset, offset + limit), total: read.length, limit, offset})
  }

  function cancel(response: ServerResponse, job: undefined | WireJob): void {
    if (!job) return send(response, 403, {detail: 'Job not found or not authorized'})
    if (!CANCELLABLE.has(job.status)) return send(response, 400, {detail: `Cannot cancel job in ${job.status} status`})
    // A running job stops when its worker notices: here, by the next time it is read.
    if (job.status === 'running') stopping.add(job.job_id)
    else Object.assign(job, {status: 'cancelled', completed_at: pythonIso(new Date())})
    send(response, 200, {success: true, message: 'Job cancelled successfully'})
  }

  /** A job as GET /api/jobs/{id} reads it: a running job told to stop has ended cancelled, with no error and progress 0. */
  function read(job: WireJob): WireJob {
    if (stopping.delete(job.job_id)) {
      Object.assign(job, {status: 'cancelled', error: null, progress: 0, completed_at: pythonIso(new Date())})
    }

    return job
  }

  function finish(jobId: string, how: 'completed' | 'partial' | {error: string}): void {
    const job = fake.jobs.find((candidate) => candidate.job_id === jobId)
    if (!job) throw new Error(`the fake has no job ${jobId}`)
    const ended = {completed_at: pythonIso(new Date()), current_phase: null, phase_detail: null}
    if (typeof how === 'object')
      Object.assign(job, {...ended, status: 'failed', error: how.error, progress: 0, result: null})
    else {
      const result =
        how === 'partial' ? {success: true, partial: true, message: 'Some repositories failed'} : {success: true}
      Object.assign(job, {...ended, status: 'completed', error: null, progress: 100, result})
    }
  }

  function restart(): void {
    for (const job of fake.jobs.filter((candidate) => ACTIVE.has(candidate.status))) {
      finish(job.job_id, {error: 'Job interrupted by server restart'})
    }
  }

  /** As a real server: removes at once, reads only `max_age_hours` (default 720); there is no dry run. */
  function cleanup(response: ServerResponse, query: URLSearchParams): void {
    fake.cleanups.push(query)
    const hours = Math.min(Math.max(Number(query.get('max_age_hours') ?? 720), 1), 8760)
    const cutoff = Date.now() - hours * 3_600_000
    const expired = (job: WireJob) =>
      FINISHED.has(job.status) && Date.parse(job.completed_at ?? job.created_at) < cutoff
    const kept = fake.jobs.filter((job) => !expired(job))
    const cleaned = fake.jobs.length - kept.length
    fake.jobs.splice(0, fake.jobs.length, ...kept)
    send(response, 200, {cleaned_count: cleaned, message: `Cleaned up ${cleaned} old background jobs`})
  }

  /** GET /health, behind the token as on a real server: `health` as given, else healthy (with the features). */
  function health(response: ServerResponse, authorized: boolean): void {
    fake.healthChecks++
    if (!authorized) return send(response, 401, {detail: 'Missing authentication credentials'})
    if (!fake.health)
      return send(response, 200, {...OBSERVED_HEALTH, ...(options.features ? {features: options.features} : {})})
    const {body, status} = fake.health
    if (typeof body !== 'string') return send(response, status, body)
    response.writeHead(status, {'content-type': 'text/html'}).end(body)
  }

  function api(request: IncomingMessage, response: ServerResponse, url: URL): void {
    if (url.pathname === '/api/jobs' && request.method === 'GET') return list(response, url.searchParams)
    if (url.pathname === '/api/admin/jobs/cleanup' && request.method === 'DELETE')
      return cleanup(response, url.searchParams)
    const id = /^\/api\/jobs\/([^/]+)$/.exec(url.pathname)?.[1]
    const job =
      id === undefined ? undefined : fake.jobs.find((candidate) => candidate.job_id === decodeURIComponent(id))
    if (id !== undefined && request.method === 'GET') {
      fake.jobReads.push(decodeURIComponent(id))
      return job
        ? send(response, 200, read(job))
        : send(response, 404, {detail: `Job not found: ${decodeURIComponent(id)}`})
    }

    if (id !== undefined && request.method === 'DELETE') return cancel(response, job)
    send(response, 405, {detail: 'Method Not Allowed'})
  }

  function route(request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>): void {
    const url = new URL(request.url ?? '/', 'http://fake')
    fake.requests.push(`${request.method} ${url.pathname}`)
    const bearer = request.headers.authorization?.replace(/^Bearer /, '')
    const authorized = bearer === token || (bearer !== undefined && issued.has(bearer))
    if (url.pathname === '/auth/login' && request.method === 'POST') return logIn(response, body)
    if (url.pathname === '/api/auth/refresh' && request.method === 'POST') return refresh(response, body)
    if (url.pathname === '/health') return health(response, authorized)
    if (!url.pathname.startsWith('/api/')) return send(response, 404, {detail: 'Not Found'})
    if (!authorized) return send(response, 401, {detail: 'Missing authentication credentials'})
    // As the local server does: its extensions named on every API answer.
    if (options.features) response.setHeader(FEATURES_HEADER, options.features.join(', '))
    api(request, response, url)
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString())
      } catch {}

      route(request, response, isRecord(body) ? body : {})
    })
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  })
}
