/**
 * The access token a request carries, and its renewal: a static token as is; else the cached
 * tokens while they are valid, then a refresh (rotating refresh tokens), then logging in again
 * with the password held. One renewal at a time in this process, and across cidx processes
 * under the token store's lock; a request the server rejects with 401 is renewed and repeated once.
 */
import type {Credentials, TokenSet} from '../auth/credentials.js'

import {AuthError, CliError} from '../errors.js'

/** Tokens are renewed this long before they expire, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 30_000

/** Not expired yet, though perhaps within the renewal margin. */
function unexpired(tokens: TokenSet, now = Date.now()): boolean {
  return tokens.accessTokenExpiresAt === null || tokens.accessTokenExpiresAt > now
}

/** Not one of ours: a bug, which no fallback should hide. */
function requireCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  throw error
}

/** Nothing left to renew with: what to do about it, in one line. */
function sessionEnded(refreshFailure: CliError | undefined): AuthError {
  const reason =
    refreshFailure === undefined
      ? 'Your session has expired, or you are not logged in'
      : refreshFailure instanceof AuthError
        ? `Your session has expired: ${refreshFailure.message}`
        : `Your session could not be renewed: ${refreshFailure.message}`
  return new AuthError(reason, {
    hint: 'Run `cidx login` again, or set CIDX_TOKEN / CIDX_USERNAME and CIDX_PASSWORD.',
    status: 401,
  })
}

function usable(tokens: null | TokenSet, now = Date.now()): tokens is TokenSet {
  if (!tokens?.accessToken) return false
  return tokens.accessTokenExpiresAt === null || tokens.accessTokenExpiresAt - EXPIRY_MARGIN_MS > now
}

/** How new tokens are obtained (the server's auth endpoints), and where debug lines go. */
export interface RenewalMeans {
  log(line: string): void
  logIn(username: string, password: string): Promise<TokenSet>
  refresh(refreshToken: string): Promise<TokenSet>
}

export class TokenRenewal {
  /** The refresh token whose refresh failed, and how: what a later renewal in this process skips and reports. */
  private failedRefreshToken?: string
  private refreshFailure?: CliError
  private renewing?: Promise<TokenSet>
  private tokens: null | TokenSet = null
  /** Loading the cached tokens, once: requests that start together all wait for it. */
  private tokensLoading?: Promise<void>

  constructor(
    private readonly credentials: Credentials,
    private readonly means: RenewalMeans,
  ) {}

  /** The access token to send now: static, cached and still valid, or freshly obtained. */
  async accessToken(): Promise<string> {
    if (this.credentials.staticToken) return this.credentials.staticToken
    // Without waiting here, a second request started during the load would renew without the
    // cached refresh token (or fail as "not logged in").
    this.tokensLoading ??= this.loadTokens()
    await this.tokensLoading
    if (usable(this.tokens)) return this.tokens.accessToken
    return (await this.renew()).accessToken
  }

  /** The tokens held now, for redaction. */
  secrets(): string[] {
    return [this.tokens?.accessToken, this.tokens?.refreshToken].filter((secret): secret is string => Boolean(secret))
  }

  /** Sends with the current token; on a 401 the token is renewed once and `send` repeated once. */
  async withToken<T>(path: string, send: (token: string) => Promise<T>): Promise<T> {
    const token = await this.accessToken()
    try {
      return await send(token)
    } catch (error) {
      if (!(error instanceof AuthError) || error.status !== 401 || !this.canRenew()) throw error
      this.means.log(`401 from ${path}: renewing the access token once`)
      return send(await this.renewAfterRejection(token))
    }
  }

  private canRenew(): boolean {
    const {password, staticToken, username} = this.credentials
    if (staticToken) return false
    return Boolean(this.tokens?.refreshToken || (username && password))
  }

  private async loadTokens(): Promise<void> {
    this.tokens = await this.storedTokens()
  }

  /** Renews, holding the store's lock when it has one (see TokenStore.exclusive). */
  private async obtainTokens(): Promise<TokenSet> {
    const store = this.credentials.tokenStore
    if (!store?.exclusive) return this.refreshOrLogIn()
    return store.exclusive(
      async () => (await this.renewedElsewhere()) ?? this.refreshOrLogIn(),
      (line) => this.means.log(line),
    )
  }

  /**
   * A refresh can fail in any way (a real server may answer 500 after spending the refresh
   * token), and none of them ends the session while something else works: the password held logs
   * in again; without one, an access token that has not yet expired is kept until it does. Only
   * then is it over (exit 3), unless the server could not be reached at all (that error, exit 5).
   */
  private async refreshOrLogIn(): Promise<TokenSet> {
    const refreshToken = this.tokens?.refreshToken
    const {password, username} = this.credentials
    const current = this.tokens
    let {refreshFailure} = this
    // A refresh token that failed once is not presented again by this process (it may be spent).
    if (refreshToken && refreshToken !== this.failedRefreshToken) {
      try {
        return await this.store(await this.means.refresh(refreshToken))
      } catch (error) {
        refreshFailure = requireCliError(error)
        this.failedRefreshToken = refreshToken
        this.refreshFailure = refreshFailure
        const what = refreshFailure instanceof AuthError ? 'refused' : 'failed'
        const next = username && password ? 'logging in again' : 'no password to log in with'
        this.means.log(`refresh ${what} (${refreshFailure.message}); ${next}`)
      }
    }

    if (username && password) return this.store(await this.means.logIn(username, password))
    if (current && unexpired(current)) {
      this.means.log('keeping the access token until it expires')
      return current
    }

    // Unreachable, or refused by the transport's rules (a redirect elsewhere): not the session's end.
    if (refreshFailure?.kind === 'network') throw refreshFailure
    throw sessionEnded(refreshFailure)
  }

  /** One renewal at a time: refresh tokens rotate, and a second concurrent refresh would look like a replay. */
  private renew(): Promise<TokenSet> {
    this.renewing ??= this.obtainTokens().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }

  /** A 401 for `rejected`: renew unless another request already did. */
  private async renewAfterRejection(rejected: string): Promise<string> {
    if (this.tokens && this.tokens.accessToken !== rejected && usable(this.tokens)) return this.tokens.accessToken
    if (this.tokens) this.tokens = {...this.tokens, accessTokenExpiresAt: 0}
    return (await this.renew()).accessToken
  }

  /**
   * Tokens another process stored while this one waited for the lock: a different access token
   * that is still valid. Then there is nothing to renew (and this process's refresh token is spent).
   */
  private async renewedElsewhere(): Promise<null | TokenSet> {
    const stored = await this.storedTokens()
    if (!stored || stored.accessToken === this.tokens?.accessToken || !usable(stored)) {
      // A refresh token rotated by another process is the one to present now.
      if (stored?.refreshToken && this.tokens) this.tokens = {...this.tokens, refreshToken: stored.refreshToken}
      return null
    }

    this.means.log('the session was renewed by another cidx process; using its tokens')
    this.tokens = stored
    return stored
  }

  private async store(tokens: TokenSet): Promise<TokenSet> {
    this.tokens = tokens
    try {
      await this.credentials.tokenStore?.save(tokens)
    } catch (error) {
      this.means.log(`could not cache the access token: ${(error as Error).message}`)
    }

    return tokens
  }

  /** What the store holds now; an unreadable store holds nothing. */
  private async storedTokens(): Promise<null | TokenSet> {
    return (await this.credentials.tokenStore?.load().catch(() => null)) ?? null
  }
}
