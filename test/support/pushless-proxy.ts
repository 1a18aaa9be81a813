import {createServer, request as httpRequest, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

/**
 * A loopback proxy in front of the server that hides its push channel: /health without features
 * (`hideFeature`) and/or /api/jobs/events answering 404 like a real server.
 */
export async function pushlessProxy(target: string, options: {hideFeature: boolean}): Promise<{url: string; close(): Promise<void>}> {
  const upstream = new URL(target)
  const server: Server = createServer((request, response) => {
    if (request.url?.startsWith('/api/jobs/events')) {
      response.writeHead(404, {'content-type': 'application/json'}).end('{"detail":"Not Found"}')
      return
    }

    const forward = httpRequest({host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers}, (answer) => {
      if (options.hideFeature && request.url === '/health') {
        let body = ''
        answer.setEncoding('utf8').on('data', (chunk) => (body += chunk))
        answer.on('end', () => response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({...JSON.parse(body), features: []})))
        return
      }

      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    request.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
