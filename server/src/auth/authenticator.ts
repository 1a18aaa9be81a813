import type {FastifyRequest} from 'fastify'

import type {AuthStorage} from '../db/storage.js'
import type {AccessTokens} from './access-tokens.js'
import type {Role} from './users.js'

import {HttpError, unauthorized} from '../http/errors.js'
import {API_KEY_PREFIX} from './api-keys.js'

export interface Principal {
  /** When the credential stops being valid (epoch ms); null for API keys, which do not expire. */
  expiresAtMs: null | number
  role: Role
  username: string
}

export const MISSING_CREDENTIALS = 'Missing authentication credentials'

function bearerToken(request: FastifyRequest): null | string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return match ? match[1] : null
}

/** Resolves `Authorization: Bearer <JWT | cidx_sk_...>` to a user, with the real server's 401 details. */
export class Authenticator {
  constructor(
    private readonly users: AuthStorage['users'],
    private readonly tokens: AccessTokens,
    private readonly apiKeys: AuthStorage['apiKeys'],
  ) {}

  /** `missingDetail` differs by endpoint on the real server (e.g. "Authentication required"). */
  async authenticate(request: FastifyRequest, missingDetail = MISSING_CREDENTIALS): Promise<Principal> {
    const token = bearerToken(request)
    if (token === null) throw unauthorized(missingDetail)
    const {username, expiresAtMs} = token.startsWith(API_KEY_PREFIX)
      ? await this.apiKeyOwner(token)
      : await this.tokenOwner(token)
    const user = await this.users.get(username)
    if (!user) throw unauthorized('User not found')
    return {username: user.username, role: user.role, expiresAtMs}
  }

  async authenticateAdmin(request: FastifyRequest): Promise<Principal> {
    const principal = await this.authenticate(request)
    if (principal.role !== 'admin') throw new HttpError(403, 'Admin access required')
    return principal
  }

  private async apiKeyOwner(key: string): Promise<{expiresAtMs: null; username: string}> {
    const owner = await this.apiKeys.ownerOf(key)
    if (owner === undefined) throw unauthorized('Invalid API key')
    return {username: owner, expiresAtMs: null}
  }

  private async tokenOwner(token: string): Promise<{expiresAtMs: number; username: string}> {
    const claims = await this.tokens.verify(token)
    return {username: claims.username, expiresAtMs: claims.exp * 1000}
  }
}
