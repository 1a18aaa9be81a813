/**
 * What the configuration layer hands the client: where the server is and how to authenticate.
 * Resolved by credential-chain.ts (flags > env > .code-indexer project > `cidx login` session);
 * used by the client (token-renewal.ts), which owns getting, renewing and caching tokens.
 */
export type CredentialSource = 'flags' | 'env' | 'project' | 'login'

export interface TokenSet {
  accessToken: string
  /** Epoch milliseconds, read from the JWT's `exp` claim (null when the token is opaque, e.g. an API key). */
  accessTokenExpiresAt: number | null
  refreshToken?: string
}

/** Persists tokens the client obtains or renews (mode 0600). `null` forgets them. */
export interface TokenStore {
  load(): Promise<TokenSet | null>
  save(tokens: TokenSet | null): Promise<void>
  /**
   * Runs a renewal while no other process renews these tokens (file-lock.ts), for a store whose
   * refresh token rotates: the renewal first loads what is stored, in case another process renewed.
   */
  exclusive?<T>(renewal: () => Promise<T>, log?: (line: string) => void): Promise<T>
}

export interface Credentials {
  serverUrl: string
  source: CredentialSource
  username?: string
  /** A ready access token or a `cidx_sk_...` API key (CIDX_TOKEN). Used as is; cannot be renewed. */
  staticToken?: string
  /** From CIDX_PASSWORD or a project's `.creds`; lets the client log in again. Never stored by us. */
  password?: string
  /** Where tokens are cached between runs; absent means "do not cache". */
  tokenStore?: TokenStore
}
