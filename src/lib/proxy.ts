import type {Agents} from 'got'

/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and the lowercase forms), as curl reads them.
 * The proxy agent (hpagent) is imported only when a proxy applies, so most runs never load it.
 */

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()]
  return value && value.trim() !== '' ? value.trim() : undefined
}

/** True when NO_PROXY lists the host: `*`, exact names, `.suffix` or `suffix` domains, optional `:port`. */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      if (entry === '*') return true
      const [name, entryPort] = entry.toLowerCase().replace(/^\[|\]$/g, '').split(/:(?=\d+$)/)
      if (entryPort && entryPort !== port) return false
      const domain = name.replace(/^\*?\./, '')
      return host === domain || host.endsWith(`.${domain}`)
    })
}

/** The proxy URL that applies to `serverUrl`, if any. */
export function proxyFor(serverUrl: string, env: NodeJS.ProcessEnv): string | undefined {
  const target = new URL(serverUrl)
  if (bypassesProxy(target, envValue(env, 'NO_PROXY'))) return undefined
  const proxy = target.protocol === 'https:' ? envValue(env, 'HTTPS_PROXY') ?? envValue(env, 'HTTP_PROXY') : envValue(env, 'HTTP_PROXY')
  return proxy
}

export async function proxyAgentsFor(serverUrl: string, env: NodeJS.ProcessEnv): Promise<Agents | undefined> {
  const proxy = proxyFor(serverUrl, env)
  if (!proxy) return undefined
  const {HttpProxyAgent, HttpsProxyAgent} = await import('hpagent')
  const common = {keepAlive: true, proxy}
  return {http: new HttpProxyAgent(common), https: new HttpsProxyAgent(common)}
}
