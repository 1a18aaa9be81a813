import type {CredentialSource} from './credentials.js'

import {UsageError} from '../errors.js'
import {normalizeServerUrl} from './server-url.js'
import {readSession} from './session-store.js'

export interface LoginTarget {
  server: string
  source: CredentialSource
  /** Known without asking: --username, CIDX_USERNAME, or the last session on the same server. */
  username?: string
}

/**
 * Where `cidx login` logs in: `--server`, else CIDX_SERVER_URL, else the server of the last login.
 * A project's server is not used: its `.creds` already authenticate, so it needs no login.
 */
export async function resolveLoginTarget(options: {
  configDir: string
  env: NodeJS.ProcessEnv
  serverFlag?: string
  usernameFlag?: string
}): Promise<LoginTarget> {
  const session = await readSession(options.configDir)
  const {serverFlag, env} = options
  let server: string
  let source: CredentialSource
  if (serverFlag !== undefined) [server, source] = [normalizeServerUrl(serverFlag, '--server'), 'flags']
  else if (env.CIDX_SERVER_URL) [server, source] = [normalizeServerUrl(env.CIDX_SERVER_URL, 'CIDX_SERVER_URL'), 'env']
  else if (session) [server, source] = [session.server, 'login']
  else throw new UsageError('No server to log in to', {hint: 'Use `cidx login --server URL` (or set CIDX_SERVER_URL).'})

  const username =
    options.usernameFlag || env.CIDX_USERNAME || (session?.server === server ? session.username : undefined)
  return username ? {server, source, username} : {server, source}
}
