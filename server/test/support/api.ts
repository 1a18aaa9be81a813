/** A small HTTP client for the tests: real requests over loopback. */
export interface ApiResponse<T = any> {
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

  delete<T = any>(path: string, token?: string) {
    return this.request<T>('DELETE', path, {token})
  }

  get<T = any>(path: string, token?: string) {
    return this.request<T>('GET', path, {token})
  }

  async login(username: string, password: string): Promise<string> {
    const response = await this.post('/auth/login', {username, password})
    if (response.status !== 200) throw new Error(`login of ${username} failed: ${response.status} ${response.text}`)
    return response.body.access_token as string
  }

  post<T = any>(path: string, body: unknown, token?: string) {
    return this.request<T>('POST', path, {token, body})
  }

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
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
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
export async function waitForJobEnd(api: Api, token: string, jobId: string, timeoutMs = 15_000): Promise<any> {
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
