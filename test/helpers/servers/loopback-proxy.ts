import type {AddressInfo} from 'node:net'

import {FEATURES_HEADER} from '@cidx/local-server'
import {createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse} from 'node:http'

/** How the proxy hands the upstream `answer` to `request`'s client. */
export type Relay = (request: IncomingMessage, answer: IncomingMessage, response: ServerResponse) => void

/** The upstream answer as it is. */
export const passThrough: Relay = (_request, answer, response) => {
  response.writeHead(answer.statusCode ?? 502, answer.headers)
  answer.pipe(response)
}

export interface LoopbackProxy {
  close(): Promise<void>
  url: string
}

/**
 * A loopback HTTP proxy in front of `target` for tests that need a server to behave otherwise:
 * `intercept` may answer a request itself (returning true), `relay` shapes what goes back.
 */
export async function loopbackProxy(
  target: string,
  options: {intercept?: (request: IncomingMessage, response: ServerResponse) => boolean; relay?: Relay} = {},
): Promise<LoopbackProxy> {
  const upstream = new URL(target)
  const relay = options.relay ?? passThrough
  const server: Server = createServer((request, response) => {
    if (options.intercept?.(request, response)) return
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => relay(request, answer, response),
    )
    request.pipe(forward)
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
      }),
  }
}

/**
 * A loopback proxy in front of the server that hides its push channel: no features in /health
 * and the answers' header (`hideFeature`) and/or /api/jobs/events answering 404 like a real server.
 */
export async function pushlessProxy(target: string, options: {hideFeature: boolean}): Promise<LoopbackProxy> {
  return loopbackProxy(target, {
    intercept(request, response) {
      if (!request.url?.startsWith('/api/jobs/events')) return false
      response.writeHead(404, {'content-type': 'application/json'}).end('{"detail":"Not Found"}')
      return true
    },
    relay(request, answer, response) {
      if (!options.hideFeature) return passThrough(request, answer, response)
      if (request.url !== '/health') {
        delete answer.headers[FEATURES_HEADER]
        return passThrough(request, answer, response)
      }

      let body = ''
      answer.setEncoding('utf8').on('data', (chunk) => (body += chunk))
      answer.on('end', () =>
        response
          .writeHead(200, {'content-type': 'application/json'})
          .end(JSON.stringify({...JSON.parse(body), features: []})),
      )
    },
  })
}
