import type {WireJob} from '@cidx/local-server'
import type {AddressInfo} from 'node:net'

import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'

import {pythonIso} from '../fixtures/job-fixtures.js'

/**
 * A small CIDX server on loopback for the client's paging tests. With `paging: 'defect'` its job
 * listing behaves like a REAL CIDX server: it reads only `limit` + active
 * jobs from storage and slices that at `offset`, so nothing past the newest ~50 jobs of a status
 * is reachable and `total` is not the true count; it filters by status only. With
 * `paging: 'correct'` it pages the whole listing and, when it advertises `job_filters`, applies
 * the other filters too, as the local server does.
 */

export interface FakeCidxOptions {
  /** What GET /health advertises; `job_filters` makes a correctly paging server filter by everything. */
  features?: string[]
  /** GET /health as a real server answers it: behind the token, with this status and body. */
  health?: FakeHealth
  jobs?: WireJob[]
  paging: 'correct' | 'defect'
  /** The Bearer token every /api call must carry. */
  token?: string
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
  token: string
  url: string
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
    healthChecks: 0,
    health: options.health,
    token,
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
    if (job.status === 'pending') Object.assign(job, {status: 'cancelled', completed_at: pythonIso(new Date())})
    send(response, 200, {success: true, message: 'Job cancelled successfully'})
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

  function route(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://fake')
    const authorized = request.headers.authorization === `Bearer ${token}`
    if (url.pathname === '/health') {
      fake.healthChecks++
      if (fake.health) {
        if (!authorized) return send(response, 401, {detail: 'Missing authentication credentials'})
        const {body, status} = fake.health
        if (typeof body !== 'string') return send(response, status, body)
        response.writeHead(status, {'content-type': 'text/html'}).end(body)
        return
      }

      return send(response, 200, {status: 'healthy', ...(options.features ? {features: options.features} : {})})
    }

    if (!url.pathname.startsWith('/api/')) return send(response, 404, {detail: 'Not Found'})
    if (!authorized) return send(response, 401, {detail: 'Missing authentication credentials'})
    if (url.pathname === '/api/jobs' && request.method === 'GET') return list(response, url.searchParams)
    if (url.pathname === '/api/admin/jobs/cleanup' && request.method === 'DELETE')
      return cleanup(response, url.searchParams)
    const id = /^\/api\/jobs\/([^/]+)$/.exec(url.pathname)?.[1]
    const job =
      id === undefined ? undefined : fake.jobs.find((candidate) => candidate.job_id === decodeURIComponent(id))
    if (id !== undefined && request.method === 'GET') {
      fake.jobReads.push(decodeURIComponent(id))
      return job ? send(response, 200, job) : send(response, 404, {detail: `Job not found: ${decodeURIComponent(id)}`})
    }

    if (id !== undefined && request.method === 'DELETE') return cancel(response, job)
    send(response, 405, {detail: 'Method Not Allowed'})
  }

  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => route(request, response))
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
