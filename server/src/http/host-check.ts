import type {FastifyInstance} from 'fastify'

import {isIP} from 'node:net'

import {HttpError} from './errors.js'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']

function withoutBrackets(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1')
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The lowercased host name of a Host header (`name`, `name:port`, `[v6]:port`); null when it is not one. */
function hostNameOf(header: string): null | string {
  try {
    const url = new URL(`http://${header}`)
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null
    return withoutBrackets(url.hostname)
  } catch {
    return null
  }
}

/**
 * Whether a Host header names this server: the address it is bound to, the loopback names when
 * that is a loopback address, any IP address when it listens on all of them, and the names the
 * operator allowed. A page whose DNS name was rebound to this machine sends its own name and is
 * refused. The port is not compared: a port forward or a local proxy names its own port.
 */
export function hostMatcher(
  bindHost: string,
  allowedHosts: readonly string[],
): (header: string | undefined) => boolean {
  const bound = withoutBrackets(bindHost.toLowerCase())
  const names = new Set([bound, ...allowedHosts.map((name) => withoutBrackets(name.toLowerCase()))])
  if (isLoopback(bound)) for (const name of LOOPBACK_NAMES) names.add(name)
  const anyAddress = bound === '0.0.0.0' || bound === '::'
  if (anyAddress) names.add('localhost')
  return (header) => {
    const name = header === undefined ? null : hostNameOf(header)
    return name !== null && (names.has(name) || (anyAddress && isIP(name) !== 0))
  }
}

/** DNS rebinding: a request whose Host does not name this server is a 421, before anything else runs. */
export function registerHostCheck(app: FastifyInstance, bindHost: string, allowedHosts: readonly string[]): void {
  const namesThisServer = hostMatcher(bindHost, allowedHosts)
  app.addHook('onRequest', async (request) => {
    if (!namesThisServer(request.headers.host))
      throw new HttpError(421, 'Misdirected Request: the Host header does not name this server')
  })
}
