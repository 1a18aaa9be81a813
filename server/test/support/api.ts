/** A small HTTP client for the tests: real requests over loopback. */
export interface ApiResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

export interface RequestOptions {
  token?: string
  body?: unknown
  /** Sent as is, with content-type application/json (for malformed JSON). */
  rawBody?: string
  headers?: Record<string, string>
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
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

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, {token})
  }

  post<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>('POST', path, {token, body})
  }

  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, {token})
  }

  async login(username: string, password: string): Promise<string> {
    const response = await this.post('/auth/login', {username, password})
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status} ${response.text}`)
    return response.body.access_token as string
  }
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

export const TERMINAL = new Set(['completed', 'completed_partial', 'failed', 'cancelled'])

/** Waits for a job to reach a terminal status and returns it. */
export async function waitForJobEnd(api: Api, token: string, jobId: string, timeoutMs = 15_000): Promise<any> {
  return waitFor(`job ${jobId} to end`, async () => {
    const response = await api.get(`/api/jobs/${jobId}`, token)
    return TERMINAL.has(response.body.status) ? response.body : undefined
  }, timeoutMs, 20)
}
