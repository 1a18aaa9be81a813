import {type LoopbackProxy, loopbackProxy, passThrough} from './loopback-proxy.js'

/**
 * A loopback proxy in front of the server that hides its push channel: /health without features
 * (`hideFeature`) and/or /api/jobs/events answering 404 like a real server.
 */
export async function pushlessProxy(target: string, options: {hideFeature: boolean}): Promise<LoopbackProxy> {
  return loopbackProxy(target, {
    intercept(request, response) {
      if (!request.url?.startsWith('/api/jobs/events')) return false
      response.writeHead(404, {'content-type': 'application/json'}).end('{"detail":"Not Found"}')
      return true
    },
    relay(request, answer, response) {
      if (!(options.hideFeature && request.url === '/health')) return passThrough(request, answer, response)
      let body = ''
      answer.setEncoding('utf8').on('data', (chunk) => (body += chunk))
      answer.on('end', () => response.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({...JSON.parse(body), features: []})))
    },
  })
}
