/**
 * What the configuration layer hands the client: where the server is and how to authenticate.
 * Resolved by credential-chain.ts (flags > env > .code-indexer project > `cidx login` session);
 * used by the client (token-renewal.ts), which owns getting, renewing and caching tokens.
 */
export type CredentialSource = 'env' | 'flags' | 'login' | 'project'

export interface TokenSet {
  accessToken: string
  /** Epoch milliseconds, read from the JWT's `exp` claim (null when the token is opaque, e.g. an API key). */
  accessTokenExpiresAt: null | number
  refreshToken?: string
}

/** Persists tokens the client obtains or renews (mode 0600). `null` forgets them. */
export interface TokenStore {
  /**
   * Runs a renewal while no other process renews these tokens (file-lock.ts), for a store whose
   * refresh token rotates: the renewal first loads what is stored, in case another process renewed.
   */
  exclusive?<T>(renewal: () => Promise<T>, log?: (line: string) => void): Promise<T>
  load(): Promise<null | TokenSet>
  save(tokens: null | TokenSet): Promise<void>
}

export interface Credentials {
  /** From CIDX_PASSWORD or a project's `.creds`; lets the client log in again. Never stored by us. */
  password?: string
  serverUrl: string
  source: CredentialSource
  /** A ready access token or a `cidx_sk_...` API key (CIDX_TOKEN). Used as is; cannot be renewed. */
  staticToken?: string
  /** Where tokens are cached between runs; absent means "do not cache". */
  tokenStore?: TokenStore
  username?: string
}
