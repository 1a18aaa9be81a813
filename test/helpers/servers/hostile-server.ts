import type {AddressInfo} from 'node:net'

import {FEATURES_HEADER} from '@cidx/local-server'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

import {wireJob} from '../fixtures/job-fixtures.js'

/**
 * A CIDX server on loopback that misbehaves on purpose, for the tests of how the client stands up
 * to a broken or hostile server. One server, one misbehaviour per route: the route is the first
 * path segment, so a client pointed at `${url}/drip` (a server URL may carry a path prefix) meets
 * that behaviour on every request it makes.
 *
 * - `redirect-away`: answers every request 307 to the same path on a second server (`elsewhere`)
 *   that records whatever reaches it and answers like a real server would.
 * - `drip`: sends the headers of a job listing at once, then the body one byte every 100 ms.
 * - `silent`: reads the request and never answers (no headers, ever).
 * - `huge-listing`: a 200 job listing of 50 MB (sent chunked: no Content-Length to go by).
 * - `huge-detail`: a 404 whose JSON `detail` is 50 MB.
 * - `long-detail`: a 404 whose JSON `detail` is 100,000 characters (small enough to read whole).
 * - `endless-event`: /health and a header of the API answers advertise `job_events`, every job is
 *   running, and the event stream sends one event whose data never ends (up to 64 MiB, then the
 *   server closes it).
 * - `loop`: `/loop/...` answers 302 to `/loop-back/...`, which answers 302 to `/loop/...`.
 * - `to-file`: answers 302 to file:///etc/passwd.
 *
 * Routes that pour out bytes respect backpressure and stop when the client hangs up, so `sent`
 * says how much the client let through before it stopped reading.
 */

export interface RecordedRequest {
  body: string
  headers: IncomingMessage['headers']
  method: string
  url: string
}

export interface HostileServer {
  close(): Promise<void>
  /** The second server that `redirect-away` sends clients to. */
  elsewhere: {requests: RecordedRequest[]; url: string}
  /** Every request that reached the hostile server. */
  requests: RecordedRequest[]
  /** Bytes of body each pouring route managed to hand to the socket, by route. */
  sent: Record<string, number>
  url: string
}

const MiB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')

/** A request as a test looks at it: its method, URL, headers and whole body. */
export async function recorded(request: IncomingMessage): Promise<RecordedRequest> {
  let body = ''
  for await (const chunk of request) body += String(chunk)
  return {method: request.method ?? '', url: request.url ?? '', headers: request.headers, body}
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
}

/**
 * Writes `head`, then `size` bytes of filler (or until the client goes away), then `tail`; counts
 * the filler bytes the socket accepted into `sent[route]`.
 */
async function pour(
  response: ServerResponse,
  route: string,
  sent: Record<string, number>,
  parts: {head: string; size: number; tail: string},
): Promise<void> {
  sent[route] = 0
  const closed = new Promise<void>((resolve) => {
    response.once('close', resolve)
  })
  const drained = () =>
    new Promise<void>((resolve) => {
      response.once('drain', resolve)
    })
  response.write(parts.head)
  while (sent[route] < parts.size && !response.destroyed) {
    sent[route] += CHUNK.length
    if (!response.write(CHUNK)) await Promise.race([drained(), closed])
  }

  if (!response.destroyed) response.end(parts.tail)
}

function drip(response: ServerResponse, text: string): void {
  response.writeHead(200, {'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text))})
  let at = 0
  const timer = setInterval(() => {
    if (at >= text.length || response.destroyed) {
      clearInterval(timer)
      return
    }

    response.write(text[at++])
  }, 100)
  response.once('close', () => clearInterval(timer))
}

/** The job listing a real server sends, padded to take minutes when dripped. */
function paddedListing(): string {
  return JSON.stringify({
    jobs: [wireJob({status: 'running'})],
    total: 1,
    limit: 50,
    offset: 0,
    padding: ' '.repeat(3000),
  })
}

function endlessEvent(request: IncomingMessage, response: ServerResponse, sent: Record<string, number>): void {
  const path = new URL(request.url ?? '/', 'http://hostile').pathname.replace(/^\/endless-event/, '')
  if (path === '/health') return json(response, 200, {status: 'healthy', features: ['job_events']})
  response.setHeader(FEATURES_HEADER, 'job_events')
  if (path === '/api/jobs/events') {
    response.writeHead(200, {'content-type': 'text/event-stream', 'cache-control': 'no-cache'})
    void pour(response, 'endless-event', sent, {head: 'event: job\ndata: ', size: 64 * MiB, tail: ''})
    return
  }

  const id = /^\/api\/jobs\/([^/]+)$/.exec(path)?.[1]
  if (id) return json(response, 200, wireJob({job_id: decodeURIComponent(id), status: 'running', progress: 10}))
  json(response, 200, {jobs: [wireJob({status: 'running'})], total: 1, limit: 50, offset: 0})
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
}

export async function startHostileServer(): Promise<HostileServer> {
  const elsewhereRequests: RecordedRequest[] = []
  const elsewhere = createServer(async (request, response) => {
    elsewhereRequests.push(await recorded(request))
    json(response, 200, {access_token: 'stolen', user: {username: 'alice', role: 'admin'}, jobs: [], total: 0})
  })
  const elsewhereUrl = await listen(elsewhere)

  const requests: RecordedRequest[] = []
  const sent: Record<string, number> = {}
  const server = createServer(async (request, response) => {
    requests.push(await recorded(request))
    const url = request.url ?? '/'
    const route = url.split(/[/?]/)[1]
    const rest = url.slice(route.length + 1)
    switch (route) {
      case 'drip': {
        return drip(response, paddedListing())
      }

      case 'endless-event': {
        return endlessEvent(request, response, sent)
      }

      case 'huge-detail': {
        response.writeHead(404, {'content-type': 'application/json'})
        return pour(response, route, sent, {head: '{"detail": "', size: 50 * 1000 * 1000, tail: '"}'})
      }

      case 'huge-listing': {
        response.writeHead(200, {'content-type': 'application/json'})
        return pour(response, route, sent, {head: '{"jobs": [], "padding": "', size: 50 * 1000 * 1000, tail: '"}'})
      }

      case 'long-detail': {
        return json(response, 404, {detail: `Job not found: ${'z'.repeat(100_000)}`})
      }

      case 'loop': {
        response.writeHead(302, {location: `/loop-back${rest}`}).end()
        return
      }

      case 'loop-back': {
        response.writeHead(302, {location: `/loop${rest}`}).end()
        return
      }

      case 'redirect-away': {
        response.writeHead(307, {location: `${elsewhereUrl}${rest}`}).end()
        return
      }

      case 'silent': {
        return
      } // never answers

      case 'to-file': {
        response.writeHead(302, {location: 'file:///etc/passwd'}).end()
        return
      }

      default: {
        json(response, 404, {detail: `No such route: ${route}`})
      }
    }
  })
  const url = await listen(server)
  const closeServer = closer(server)
  const closeElsewhere = closer(elsewhere)
  return {
    url,
    elsewhere: {url: elsewhereUrl, requests: elsewhereRequests},
    requests,
    sent,
    async close() {
      await Promise.all([closeServer(), closeElsewhere()])
    },
  }
}
