import type {WireJob} from '../../src/jobs/job-row.js'

/** One complaint of a 422 answer, in FastAPI's words. */
export interface ValidationIssue {
  input?: unknown
  loc: (number | string)[]
  msg: string
  type: string
}

/**
 * The fields of the server's JSON answers that the tests read, as the contract types them. An
 * answer carries only its endpoint's fields: a test reads those of the endpoint it called. The
 * answers whose fields clash with these have their own types (a 422's, the health report).
 */
export interface WireBody extends WireJob {
  access_token: string
  api_key: string
  by_status: Record<string, number>
  by_type: Record<string, number>
  cleaned_count: number
  detail: string
  golden_repositories: {alias: string}[]
  jobs: WireJob[]
  key_id: string
  limit: number
  message: string
  offset: number
  options: Record<string, boolean>
  refresh_token: string
  repositories: {user_alias: string}[]
  retry_after: number
  timestamp: string
  total: number
  total_jobs: number
  user: {role: string; username: string}
}

/** A 422: every invalid field at once, as FastAPI reports them, in the contract's envelope. */
export interface ValidationErrorBody {
  correlation_id: string
  detail: ValidationIssue[]
  details: {error_count: number; field_errors: unknown}
  error: string
  timestamp: string
}

/** `GET /health`: its `jobs` is a summary, not a list. */
export interface HealthBody {
  features: string[]
  jobs: {oldest_pending_age_seconds: number; stuck: {job_id: string; username: string}[]}
  reasons: string[]
  status: string
  storage: {status: string}
}

/** A small HTTP client for the tests: real requests over loopback. */
export interface ApiResponse<T = WireBody> {
  body: T
  headers: Headers
  status: number
  text: string
}

export interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** Sent as is, with content-type application/json (for malformed JSON). */
  rawBody?: string
  token?: string
}

export class Api {
  constructor(readonly baseUrl: string) {}

  delete<T = WireBody>(path: string, token?: string) {
    return this.request<T>('DELETE', path, {token})
  }

  get<T = WireBody>(path: string, token?: string) {
    return this.request<T>('GET', path, {token})
  }

  async login(username: string, password: string): Promise<string> {
    const response = await this.post('/auth/login', {username, password})
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status} ${response.text}`)
    return response.body.access_token as string
  }

  post<T = WireBody>(path: string, body: unknown, token?: string) {
    return this.request<T>('POST', path, {token, body})
  }

  async request<T = WireBody>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {...options.headers}
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.rawBody !== undefined || options.body !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = options.rawBody ?? JSON.stringify(options.body)
    }

    const response = await fetch(this.baseUrl + path, {method, headers, body})
    const text = await response.text()
    let parsed: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
    return {status: response.status, headers: response.headers, body: parsed as T, text}
  }
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
/** Polls until `check` holds, for timers under test that fire on their own schedule; throws past `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await waitFor('a condition to hold', async () => ((await check()) ? true : undefined), timeoutMs, 5)
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  intervalMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => {
      setTimeout(resolve, intervalMs)
    })
  }
}

export const TERMINAL = new Set(['completed', 'completed_partial', 'failed', 'cancelled'])

/** Waits for a job to reach a terminal status and returns it. */
export async function waitForJobEnd(api: Api, token: string, jobId: string, timeoutMs = 15_000): Promise<WireJob> {
  return waitFor(
    `job ${jobId} to end`,
    async () => {
      const response = await api.get(`/api/jobs/${jobId}`, token)
      return TERMINAL.has(response.body.status) ? response.body : undefined
    },
    timeoutMs,
    20,
  )
}
