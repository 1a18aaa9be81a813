/** One of a user's event streams on the local server, held open by the test (to reach a per-user limit). */
export interface HeldEventStream {
  close(): void
}

/** Logs in as `username` and opens `/api/jobs/events`; resolves once the server has accepted the stream. */
export async function holdEventStream(url: string, username: string, password: string): Promise<HeldEventStream> {
  const login = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({username, password}),
  })
  if (!login.ok) throw new Error(`login as ${username}: HTTP ${login.status}`)
  const {access_token: token} = (await login.json()) as {access_token: string}
  const controller = new AbortController()
  const response = await fetch(`${url}/api/jobs/events`, {
    headers: {accept: 'text/event-stream', authorization: `Bearer ${token}`},
    signal: controller.signal,
  })
  if (response.status !== 200) {
    controller.abort()
    throw new Error(`event stream for ${username}: HTTP ${response.status}`)
  }

  // Read (and drop) what arrives, so the server never sees a stalled reader and cuts the stream off.
  response.body!.pipeTo(new WritableStream()).catch(() => {})
  return {close: () => controller.abort()}
}
