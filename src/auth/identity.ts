import type {AuthOrigin, ResolvedCredentials} from './credential-chain.js'
import type {CredentialSource} from './credentials.js'

import {formatRelativeUnbounded} from '../support/time.js'
import {expiryOfClaims, jwtClaims} from './jwt.js'
import {readSession} from './session-store.js'

/** What `cidx whoami` reports: who the CLI acts as, from local state only (never a secret). */
export interface Identity {
  /** Epoch ms of the access token held (or cached) now; null when none is held or it does not expire. */
  accessTokenExpiresAt: null | number
  /** Where the credentials came from. */
  auth: AuthOrigin
  /** How the CLI authenticates: a fixed API key or token, a password it logs in with, or a login session. */
  method: 'api_key' | 'password' | 'session' | 'token'
  projectRoot: null | string
  role: null | string
  server: string
  /** Where the server URL came from. */
  source: CredentialSource
  username: null | string
}

function stringClaim(claims: null | Record<string, unknown>, name: string): null | string {
  const value = claims?.[name]
  return typeof value === 'string' && value !== '' ? value : null
}

export async function describeIdentity(credentials: ResolvedCredentials, configDir: string): Promise<Identity> {
  const base = {
    server: credentials.serverUrl,
    source: credentials.source,
    auth: credentials.authOrigin,
    projectRoot: credentials.projectRoot ?? null,
  }
  if (credentials.staticToken !== undefined) {
    if (credentials.staticToken.startsWith('cidx_sk_')) {
      return {...base, method: 'api_key', username: null, role: null, accessTokenExpiresAt: null}
    }

    const claims = jwtClaims(credentials.staticToken)
    const username = stringClaim(claims, 'username') ?? stringClaim(claims, 'sub')
    return {
      ...base,
      method: 'token',
      username,
      role: stringClaim(claims, 'role'),
      accessTokenExpiresAt: expiryOfClaims(claims),
    }
  }

  const tokens = (await credentials.tokenStore?.load()) ?? null
  const claims = tokens ? jwtClaims(tokens.accessToken) : null
  let role = stringClaim(claims, 'role')
  if (credentials.authOrigin === 'login') role = (await readSession(configDir))?.role ?? role
  return {
    ...base,
    method: credentials.password === undefined ? 'session' : 'password',
    username: credentials.username ?? null,
    role,
    accessTokenExpiresAt: tokens?.accessTokenExpiresAt ?? null,
  }
}

function describeServerSource(identity: Identity): string {
  switch (identity.source) {
    case 'env': {
      return 'CIDX_SERVER_URL'
    }

    case 'flags': {
      return '--server'
    }

    case 'login': {
      return 'cidx login'
    }

    case 'project': {
      return `the cidx project in ${identity.projectRoot}`
    }
  }
}

function describeAuth(identity: Identity): string {
  switch (identity.method) {
    case 'api_key': {
      return 'API key from CIDX_TOKEN'
    }

    case 'password': {
      return identity.auth === 'env'
        ? 'CIDX_USERNAME and CIDX_PASSWORD'
        : `.code-indexer/.creds in ${identity.projectRoot}`
    }

    case 'session': {
      return 'login session (cidx login)'
    }

    case 'token': {
      return 'access token from CIDX_TOKEN'
    }
  }
}

function describeToken(identity: Identity, now: number): string {
  if (identity.method === 'api_key') return 'API key (does not expire)'
  const expiresAt = identity.accessTokenExpiresAt
  if (expiresAt === null)
    return identity.method === 'password' ? 'none cached (logs in on first use)' : 'expiry unknown'
  const when = `${new Date(expiresAt).toISOString()} (${formatRelativeUnbounded(expiresAt, now)})`
  if (expiresAt > now) return `expires ${when}`
  const renewal = identity.method === 'token' ? 'replace CIDX_TOKEN' : 'renewed on next use'
  return `expired ${when}, ${renewal}`
}

/** The lines `cidx whoami` prints for people. */
export function formatIdentity(identity: Identity, now: number): string[] {
  return [
    `Server:  ${identity.server} (from ${describeServerSource(identity)})`,
    `User:    ${identity.username ?? 'unknown'}`,
    `Role:    ${identity.role ?? 'unknown'}`,
    `Auth:    ${describeAuth(identity)}`,
    `Token:   ${describeToken(identity, now)}`,
  ]
}
