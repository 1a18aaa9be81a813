import type {Agents} from 'got'
import {type ClientRequest, Agent as HttpAgent, type RequestOptions} from 'node:http'

import {UsageError} from '../errors.js'

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and the lowercase forms), as curl reads them.
 * The proxy agent (hpagent) is imported only when a proxy applies, so most runs never load it.
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
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
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
  const proxy = target.protocol === 'https:' ? envValue(env, 'HTTPS_PROXY') ?? envValue(env, 'HTTP_PROXY') : envValue(env, 'HTTP_PROXY')
  if (!proxy) return undefined
  return /^[a-z][\d+.a-z-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`
}

function parseProxy(proxy: string): URL {
  try {
    return new URL(proxy)
  } catch {
    // The value itself may hold a password: name the variables, not the value.
    throw new UsageError('The proxy setting (HTTPS_PROXY / HTTP_PROXY) is not a valid URL', {hint: 'Use the form http://host:port.'})
  }
}

/**
 * http:// servers through an http:// proxy: each request goes to the proxy with its absolute URI
 * (`GET http://host:port/path`), as curl sends it. A CONNECT tunnel (hpagent's way) is kept for
 * https:// servers: proxies commonly refuse CONNECT to ports other than 443.
 */
class ForwardingProxyAgent extends HttpAgent {
  constructor(private readonly proxy: URL) {
    super({keepAlive: true})
  }

  /** Node calls this before it writes the request line, so the path can still become absolute. */
  addRequest(request: ClientRequest, options: RequestOptions): void {
    request.path = `http://${String(request.getHeader('host'))}${request.path}`
    if (this.proxy.username || this.proxy.password) {
      const credentials = `${decodeURIComponent(this.proxy.username)}:${decodeURIComponent(this.proxy.password)}`
      request.setHeader('proxy-authorization', `Basic ${Buffer.from(credentials).toString('base64')}`)
    }

    const host = this.proxy.hostname.replace(/^\[|\]$/g, '')
    const connectTo = {...options, host, hostname: host, port: Number(this.proxy.port || 80)}
    ;(HttpAgent.prototype as unknown as {addRequest(request: ClientRequest, options: RequestOptions): void}).addRequest.call(this, request, connectTo)
  }
}

export async function proxyAgentsFor(serverUrl: string, env: NodeJS.ProcessEnv): Promise<Agents | undefined> {
  const proxy = proxyFor(serverUrl, env)
  if (!proxy) return undefined
  const url = parseProxy(proxy)
  const {HttpProxyAgent, HttpsProxyAgent} = await import('hpagent')
  const common = {keepAlive: true, proxy: url}
  return {http: url.protocol === 'http:' ? new ForwardingProxyAgent(url) : new HttpProxyAgent(common), https: new HttpsProxyAgent(common)}
}
