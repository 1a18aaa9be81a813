/** The password of the server's admin in every run of this bench. */
export const ADMIN_PASSWORD = 'bench-admin-password'

/** Logs in over HTTP and returns the access token. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({username, password}),
  })
  return ((await response.json()) as {access_token: string}).access_token
}

/** The value below which `fraction` of the sorted timings lie. */
export function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]
}
