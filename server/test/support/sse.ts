import {once} from 'node:events'
import {connect, type Socket} from 'node:net'

/** A minimal Server-Sent Events reader over fetch, for the tests. */
export interface SseEvent {
  data: string
  event: string
  id?: string
}

export interface EventStream {
  close(): void
  /** Comment lines (`: ...`) received so far. */
  comments: string[]
  contentType: null | string
  /** Resolves when the server ends the stream (not when close() aborts it). */
  ended: Promise<void>
  /** The parsed body of an answer that is not a stream (an error). */
  errorBody?: unknown
  /** Every event received so far. */
  events: SseEvent[]
  headers: Headers
  /** Resolves with the first event (already received or arriving) that matches. */
  next(matches: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  status: number
}

/** One block of the stream: its comment lines go to `comments`; its event, when it carries data. */
function parseBlock(block: string, comments: string[]): SseEvent | undefined {
  const event: SseEvent = {event: 'message', data: ''}
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comments.push(line.slice(1).trim())
    else if (line.startsWith('event: ')) event.event = line.slice(7)
    else if (line.startsWith('id: ')) event.id = line.slice(4)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
  }

  if (data.length === 0) return undefined
  event.data = data.join('\n')
  return event
}

export async function openEventStream(url: string, token?: string): Promise<EventStream> {
  const controller = new AbortController()
  const response = await fetch(url, {
    headers: token ? {authorization: `Bearer ${token}`} : {},
    signal: controller.signal,
  })
  const events: SseEvent[] = []
  const comments: string[] = []
  const waiters = new Set<() => void>()
  let markEnded!: () => void
  const stream: EventStream = {
    ended: new Promise<void>((resolve) => {
      markEnded = resolve
    }),
    status: response.status,
    headers: response.headers,
    contentType: response.headers.get('content-type'),
    events,
    comments,
    next(matches, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find((event) => matches(event))
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }

        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(`no matching event within ${timeoutMs} ms; got ${events.map((event) => event.data).join('\n')}`),
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => controller.abort(),
  }
  if (!response.ok || !response.body) {
    stream.errorBody = await response.json()
    return stream
  }

  const received = (event: SseEvent) => {
    events.push(event)
    for (const waiter of waiters) waiter()
  }

  void (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, {stream: true})
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseBlock(buffer.slice(0, end), comments)
          buffer = buffer.slice(end + 2)
          if (event) received(event)
        }
      }

      markEnded()
    } catch {
      // aborted by close() or by the server going away
    }
  })()

  return stream
}

/**
 * A client that asks for the event stream and then never reads from the socket, like a hostile
 * client or a suspended watcher: the server's writes pile up against it.
 */
export async function openStalledStream(serverUrl: string, token: string, query = ''): Promise<Socket> {
  const {hostname, port} = new URL(serverUrl)
  const socket = connect({host: hostname, port: Number(port)})
  await once(socket, 'connect')
  socket.pause()
  socket.write(
    `GET /api/jobs/events${query} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
  )
  return socket
}
