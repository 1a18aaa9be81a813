import type {Agents} from 'got'
import type {HttpsProxyAgent} from 'https-proxy-agent'

import {type ClientRequest, Agent as HttpAgent, type RequestOptions} from 'node:http'

import {UsageError} from '../errors.js'

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and the lowercase forms), as curl reads them. These rules are
 * kept here rather than taken from proxy-from-env: it reads process.env alone (the client is given
 * its environment), matches a NO_PROXY domain without a leading dot only exactly, takes no
 * HTTP_PROXY for https:// servers, gives a proxy without a scheme the server's scheme, and reads a
 * bare IPv6 entry (`::1`) as host and port. The tunnelling agent (https-proxy-agent) is imported
 * only when a proxy applies, so most runs never load it.
 */

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[key]?.trim()
    if (value) return value
  }

  return undefined
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. */
function hostAndPort(entry: string): {host: string; port?: string} {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry)
  if (bracketed) return {host: bracketed[1], port: bracketed[2]}
  const named = /^([^:]+):(\d+)$/.exec(entry)
  return named ? {host: named[1], port: named[2]} : {host: entry}
}

/** True when NO_PROXY lists the host: `*`, exact names, `.suffix` or `suffix` domains, optional `:port`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = target.hostname.replaceAll(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((raw) => {
      if (raw === '*') return true
      const entry = hostAndPort(raw.toLowerCase())
      if (entry.port && entry.port !== port) return false
      const domain = entry.host.replace(/^\*?\./, '')
      return host === domain || host.endsWith(`.${domain}`)
    })
}

/** The proxy URL that applies to `serverUrl`, if any. A value without a scheme (`proxy:3128`) is http://, as for curl. */
export function proxyFor(serverUrl: string, env: NodeJS.ProcessEnv): string | undefined {
  const target = new URL(serverUrl)
  if (bypassesProxy(target, envValue(env, 'NO_PROXY'))) return undefined
  const proxy =
    target.protocol === 'https:'
      ? (envValue(env, 'HTTPS_PROXY') ?? envValue(env, 'HTTP_PROXY'))
      : envValue(env, 'HTTP_PROXY')
  if (!proxy) return undefined
  return /^[a-z][\d+.a-z-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`
}

/** The proxy URL, its user name and password percent-decodable (they are decoded for Proxy-Authorization). */
function parseProxy(proxy: string): URL {
  try {
    const url = new URL(proxy)
    decodeURIComponent(url.username)
    decodeURIComponent(url.password)
    return url
  } catch {
    // The value itself may hold a password: name the variables, not the value.
    throw new UsageError('The proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a valid URL', {
      hint: 'Use the form http://host:port, with any @ or % in a user name or password written %40 or %25.',
    })
  }
}

/** The user name and password of the proxy URL as a Proxy-Authorization value, if it has any. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
  return `Basic ${Buffer.from(credentials).toString('base64')}`
}

/**
 * http:// servers through an http:// proxy: each request goes to the proxy with its absolute URI
 * (`GET http://host:port/path`), as curl sends it. Hand-written rather than http-proxy-agent's:
 * that one rewrites the request in its asynchronous connect(), after got has begun writing it, and
 * on Node 20 sends the head of a request with a body twice (a login through the proxy then gets
 * the answers out of step). Here the path becomes absolute before anything is written.
 */
class ForwardingProxyAgent extends HttpAgent {
  private readonly authorization: string | undefined

  constructor(private readonly proxy: URL) {
    super({keepAlive: true})
    this.authorization = proxyAuthorization(proxy)
  }

  /** Node calls this before it writes the request line, so the path can still become absolute. */
  addRequest(request: ClientRequest, options: RequestOptions): void {
    request.path = `http://${String(request.getHeader('host'))}${request.path}`
    if (this.authorization) request.setHeader('proxy-authorization', this.authorization)
    const host = this.proxy.hostname.replaceAll(/^\[|\]$/g, '')
    const connectTo = {...options, host, hostname: host, port: Number(this.proxy.port || 80)}
    ;(
      HttpAgent.prototype as unknown as {addRequest(request: ClientRequest, options: RequestOptions): void}
    ).addRequest.call(this, request, connectTo)
  }
}

/**
 * A CONNECT tunnel through the proxy (https-proxy-agent), for https:// servers (proxies commonly
 * refuse CONNECT to ports other than 443) and for any server behind an https:// proxy. The agent
 * gets the proxy's URL without its credentials, as a header: it logs the URL through `debug`
 * (DEBUG=*), and a password must not go with it.
 */
async function tunnellingAgent(proxy: URL): Promise<HttpsProxyAgent<string>> {
  const library = await import('https-proxy-agent')
  const authorization = proxyAuthorization(proxy)
  const url = new URL(proxy)
  url.username = ''
  url.password = ''
  return new library.HttpsProxyAgent(url, {
    keepAlive: true,
    headers: authorization ? {'Proxy-Authorization': authorization} : {},
  })
}

export async function proxyAgentsFor(serverUrl: string, env: NodeJS.ProcessEnv): Promise<Agents | undefined> {
  const proxy = proxyFor(serverUrl, env)
  if (!proxy) return undefined
  const url = parseProxy(proxy)
  const tunnel = await tunnellingAgent(url)
  return {http: url.protocol === 'http:' ? new ForwardingProxyAgent(url) : tunnel, https: tunnel}
}
