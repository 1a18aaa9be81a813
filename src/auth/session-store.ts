import {createHash} from 'node:crypto'
import {readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {TokenSet, TokenStore} from './credentials.js'

import {withFileLock} from '../support/file-lock.js'
import {isRecord} from '../support/json.js'
import {writePrivateFileAtomic} from '../support/private-file.js'

/**
 * What `cidx login` keeps in `<configDir>/session.json`. No password: the refresh token renews the
 * access token; when the client gives up on renewing, the tokens become null and the user logs in again.
 */
export interface Session {
  accessToken: null | string
  /** Epoch milliseconds (from the JWT's `exp`), null when unknown. */
  accessTokenExpiresAt: null | number
  refreshToken: null | string
  role: string
  server: string
  username: string
}

/** A token cached for env or project password credentials: `<configDir>/tokens/<sha256(server\nusername)>.json`. */
interface CachedTokens {
  accessToken: string
  accessTokenExpiresAt: null | number
  refreshToken: null | string
  server: string
  username: string
}

export function sessionPath(configDir: string): string {
  return join(configDir, 'session.json')
}

/** Held while a process renews the session's tokens (file-lock.ts). */
export function sessionLockPath(configDir: string): string {
  return join(configDir, 'session.lock')
}

export function tokenCachePath(configDir: string, server: string, username: string): string {
  const key = createHash('sha256').update(`${server}\n${username}`).digest('hex')
  return join(configDir, 'tokens', `${key}.json`)
}

/** Reads a JSON file; a missing, unreadable or corrupt file is simply absent (it gets overwritten later). */
async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown
  } catch {
    return undefined
  }
}

function isNullableString(value: unknown): value is null | string {
  return value === null || typeof value === 'string'
}

function isExpiry(value: unknown): value is null | number {
  return value === null || (typeof value === 'number' && Number.isFinite(value))
}

function asSession(value: unknown): null | Session {
  if (!isRecord(value)) return null
  const {server, username, role, accessToken, accessTokenExpiresAt, refreshToken} = value
  if (typeof server !== 'string' || server === '' || typeof username !== 'string' || typeof role !== 'string')
    return null
  if (!isNullableString(accessToken) || !isExpiry(accessTokenExpiresAt) || !isNullableString(refreshToken)) return null
  return {server, username, role, accessToken, accessTokenExpiresAt, refreshToken}
}

function asCachedTokens(value: unknown): CachedTokens | null {
  if (!isRecord(value)) return null
  const {server, username, accessToken, accessTokenExpiresAt, refreshToken} = value
  if (typeof server !== 'string' || typeof username !== 'string' || typeof accessToken !== 'string') return null
  if (!isExpiry(accessTokenExpiresAt) || !isNullableString(refreshToken)) return null
  return {server, username, accessToken, accessTokenExpiresAt, refreshToken}
}

function toTokenSet(stored: {
  accessToken: string
  accessTokenExpiresAt: null | number
  refreshToken: null | string
}): TokenSet {
  return {
    accessToken: stored.accessToken,
    accessTokenExpiresAt: stored.accessTokenExpiresAt,
    ...(stored.refreshToken ? {refreshToken: stored.refreshToken} : {}),
  }
}

export async function readSession(configDir: string): Promise<null | Session> {
  return asSession(await readJsonFile(sessionPath(configDir)))
}

export async function writeSession(configDir: string, session: Session): Promise<void> {
  await writePrivateFileAtomic(sessionPath(configDir), `${JSON.stringify(session, null, 2)}\n`)
}

export interface ClearResult {
  cachedTokensRemoved: number
  /** The server whose session and cached tokens were forgotten (null when there was nothing to go by). */
  server: null | string
  sessionRemoved: boolean
}

/**
 * Logout: forgets the login session and every cached token for its server. With `server`, forgets the
 * cached tokens for that server and the session only if it belongs to that server. Idempotent.
 */
export async function clearSession(configDir: string, server?: string): Promise<ClearResult> {
  const session = await readSession(configDir)
  const target = server ?? session?.server ?? null
  let sessionRemoved = false
  if (session && session.server === target) {
    await rm(sessionPath(configDir), {force: true})
    sessionRemoved = true
  }

  const cachedTokensRemoved = target === null ? 0 : await removeCachedTokens(configDir, target)
  return {server: target, sessionRemoved, cachedTokensRemoved}
}

async function removeCachedTokens(configDir: string, server: string): Promise<number> {
  const dir = join(configDir, 'tokens')
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }

  let removed = 0
  for (const name of names.filter((entry) => entry.endsWith('.json'))) {
    const path = join(dir, name)
    // The file name is a hash, so the server is read from the content.
    const cached = asCachedTokens(await readJsonFile(path))
    if (cached?.server === server) {
      await rm(path, {force: true})
      removed++
    }
  }

  return removed
}

/**
 * The tokens of the `cidx login` session, kept inside session.json. Saving never recreates a session
 * that was removed meanwhile (a logout wins), and never moves tokens to another server's session.
 */
export function sessionTokenStore(configDir: string, server: string, username: string): TokenStore {
  const current = async (): Promise<null | Session> => {
    const session = await readSession(configDir)
    return session && session.server === server && session.username === username ? session : null
  }

  return {
    async load() {
      const session = await current()
      if (!session?.accessToken) return null
      return toTokenSet({...session, accessToken: session.accessToken})
    },
    async save(tokens) {
      const session = await current()
      if (!session) return
      await writeSession(configDir, {
        ...session,
        accessToken: tokens?.accessToken ?? null,
        accessTokenExpiresAt: tokens?.accessTokenExpiresAt ?? null,
        refreshToken: tokens?.refreshToken ?? null,
      })
    },
    // The session's refresh token rotates: two processes refreshing with it at once would revoke the session.
    exclusive: (renewal, log) => withFileLock(sessionLockPath(configDir), renewal, {log}),
  }
}

/**
 * The token cache for credentials that carry a password (env or project): a cache only, so a write that
 * fails is ignored: the client can always log in again with the password.
 */
export function cachedTokenStore(configDir: string, server: string, username: string): TokenStore {
  const path = tokenCachePath(configDir, server, username)
  return {
    async load() {
      const cached = asCachedTokens(await readJsonFile(path))
      if (!cached || cached.server !== server || cached.username !== username) return null
      return toTokenSet(cached)
    },
    async save(tokens) {
      try {
        if (tokens === null) {
          await rm(path, {force: true})
          return
        }

        const cached: CachedTokens = {
          server,
          username,
          accessToken: tokens.accessToken,
          accessTokenExpiresAt: tokens.accessTokenExpiresAt,
          refreshToken: tokens.refreshToken ?? null,
        }
        await writePrivateFileAtomic(path, `${JSON.stringify(cached, null, 2)}\n`)
      } catch {
        // Only a cache: the next run logs in again.
      }
    },
  }
}
