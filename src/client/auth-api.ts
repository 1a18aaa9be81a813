/**
 * The server's authentication endpoints: log in (with the MFA step when the account asks for a
 * one-time code) and refresh. It turns their answers into a TokenSet and remembers every secret
 * it was handed, so that the client redacts them too.
 */
import type {TokenSet} from '../auth/credentials.js'
import type {StatusOverrides} from './http-errors.js'
import type {Transport} from './transport.js'

import {expiryOfClaims, jwtClaims} from '../auth/jwt.js'
import {AuthError, ProtocolError, UsageError} from '../errors.js'
import {isRecord} from '../support/json.js'
import {notCidxApiOn404} from './http-errors.js'

export interface LoginResult {
  tokens: TokenSet
  user: {role: string; username: string}
}

export interface LoginOptions {
  /** The one-time code, or how to ask for it (only when the server wants one). */
  totp?: (() => Promise<string>) | string
}

export class AuthApi {
  /** Passwords, MFA tokens and codes handed to logIn() (not only through credentials), redacted like the others. */
  private readonly handed = new Set<string>()

  constructor(
    private readonly transport: Transport,
    private readonly options: {
      /** The user name to report when neither the answer nor the token names one. */
      fallbackUsername?: string
      log(line: string): void
    },
  ) {}

  /** POST /auth/login (and /auth/mfa/verify when the account asks for a one-time code). */
  async logIn(username: string, password: string, options: LoginOptions = {}): Promise<LoginResult> {
    this.handed.add(password)
    const loginErrors: StatusOverrides = {
      401: (message) => new AuthError(message, {hint: 'Check the username and password.', status: 401}),
      403: (message) => new AuthError(message, {status: 403}),
      422: (message) => new UsageError(message),
    }
    let body = await this.transport.exchange('POST', '/auth/login', {
      anonymous: true,
      // Every CIDX server has the login: a 404 means the URL is wrong, not the account.
      errors: {
        ...loginErrors,
        404: notCidxApiOn404('POST /auth/login'),
      },
      json: {password, username},
    })
    if (isRecord(body) && body.mfa_required === true) {
      const code = typeof options.totp === 'function' ? await options.totp() : options.totp
      if (!code) throw new AuthError('This account needs a one-time code', {hint: 'Pass it with --totp CODE.'})
      const mfaToken = typeof body.mfa_token === 'string' ? body.mfa_token : ''
      for (const secret of [mfaToken, code]) this.handed.add(secret)
      body = await this.transport.exchange('POST', '/auth/mfa/verify', {
        anonymous: true,
        errors: {
          ...loginErrors,
          401: (message) =>
            new AuthError(message, {hint: 'Check the one-time code (it changes every 30 s).', status: 401}),
        },
        json: {mfa_token: body.mfa_token, totp_code: code},
      })
    }

    return this.tokensFrom(body, 'login')
  }

  /** POST /api/auth/refresh: a refused refresh token (401, or a 422 envelope) is an AuthError. */
  async refresh(refreshToken: string): Promise<TokenSet> {
    this.options.log('refreshing the access token')
    const body = await this.transport.exchange('POST', '/api/auth/refresh', {
      anonymous: true,
      errors: {422: (message) => new AuthError(`Refresh refused: ${message}`, {status: 401})},
      json: {refresh_token: refreshToken},
    })
    return this.tokensFrom(body, 'refresh').tokens
  }

  secrets(): string[] {
    return [...this.handed]
  }

  private tokensFrom(body: unknown, what: string): LoginResult {
    if (!isRecord(body) || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new ProtocolError(`The server's ${what} answer has no access token`)
    }

    const claims = jwtClaims(body.access_token)
    const user = isRecord(body.user) ? body.user : {}
    const username = String(user.username ?? claims?.username ?? this.options.fallbackUsername ?? 'unknown')
    const role = String(user.role ?? claims?.role ?? 'unknown')
    return {
      tokens: {
        accessToken: body.access_token,
        accessTokenExpiresAt: expiryOfClaims(claims),
        ...(typeof body.refresh_token === 'string' && body.refresh_token !== ''
          ? {refreshToken: body.refresh_token}
          : {}),
      },
      user: {role, username},
    }
  }
}
