/** HTTP helpers of `npm run bench:cluster`: an admin session on one node, waiting, percentiles. */

/** What the bench reads of a job on the wire. */
export interface WireJobAnswer {
  created_at: string
  current_phase: null | string
  job_id: string
  node?: null | string
  status: string
}

/** An admin session on one node: `call` sends JSON and returns the status and the parsed answer. */
export interface NodeSession {
  call<T>(method: string, path: string, body?: unknown): Promise<{body: T; status: number}>
  token: string
  url: string
}

export async function adminSession(url: string, password: string): Promise<NodeSession> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({username: 'admin', password}),
  })
  if (!response.ok) throw new Error(`login on ${url} failed: ${response.status} ${await response.text()}`)
  const {access_token: token} = (await response.json()) as {access_token: string}
  return {
    url,
    token,
    async call<T>(method: string, path: string, body?: unknown) {
      const answer = await fetch(url + path, {
        method,
        headers: {authorization: `Bearer ${token}`, ...(body ? {'content-type': 'application/json'} : {})},
        body: body ? JSON.stringify(body) : undefined,
      })
      return {status: answer.status, body: (await answer.json()) as T}
    },
  }
}

/** Polls `check` every `everyMs` until it gives a value; throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  {everyMs = 2, timeoutMs = 10_000} = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => {
      setTimeout(resolve, everyMs)
    })
  }
}

/** The value below which `p` percent of the values lie (nearest rank). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))]
}

/** Milliseconds to two decimals. */
export const round = (ms: number) => Math.round(ms * 100) / 100

export interface Spread {
  max_ms: number
  p50_ms: number
  p95_ms: number
  samples: number
}

export function spreadOf(values: number[]): Spread {
  return {
    samples: values.length,
    p50_ms: round(percentile(values, 50)),
    p95_ms: round(percentile(values, 95)),
    max_ms: round(Math.max(...values)),
  }
}

/** The epoch time in milliseconds with a fraction: `Date.now()` has whole milliseconds only. */
export const epochMs = () => performance.timeOrigin + performance.now()

/** `2026-11-20T08:03:00.123456+00:00` (the wire's timestamps) in epoch milliseconds, microseconds kept. */
export function wireTimeMs(text: string): number {
  const match = /^(.{19})(?:\.(\d{1,6}))?\+00:00$/.exec(text)
  if (!match) throw new Error(`not a wire timestamp: ${text}`)
  return Date.parse(`${match[1]}Z`) + Number((match[2] ?? '0').padEnd(6, '0')) / 1000
}
