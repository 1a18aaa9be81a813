import {createDecipheriv, pbkdf2} from 'node:crypto'
import {readFile, realpath, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {promisify} from 'node:util'

import type {CredentialSource, Credentials} from './credentials.js'
import {AuthError, NotConfiguredError, UsageError} from '../errors.js'
import {type Session, cachedTokenStore, readSession, sessionTokenStore} from './session-store.js'

/**
 * Configuration resolution. The server URL comes from the first of: `--server`, `CIDX_SERVER_URL`,
 * the nearest cidx project (`.code-indexer/.remote-config`), the `cidx login` session.
 *
 * The credentials for that server then come from the first source that applies to it:
 * 1. the environment: `CIDX_TOKEN`, else `CIDX_USERNAME` + `CIDX_PASSWORD`, used only when
 *    `CIDX_SERVER_URL` is unset or names the same server (a token meant for one server is never
 *    sent to another);
 * 2. the nearest project's `.creds`, when its `.remote-config` names the same server;
 * 3. the `cidx login` session, when it was made for the same server.
 * So `--server URL` works with whatever credentials exist for that URL, and nothing else.
 */

export interface ResolveOptions {
  serverFlag?: string
  env: NodeJS.ProcessEnv
  cwd: string
  configDir: string
}

/** Where the credentials themselves came from (`source` says where the server URL came from). */
export type AuthOrigin = Exclude<CredentialSource, 'flags'>

export interface ResolvedCredentials extends Credentials {
  authOrigin: AuthOrigin
  /** The project folder (the one holding `.code-indexer/`) when the project was used. */
  projectRoot?: string
}

/** A project configured by the Python cidx in remote mode. Values are as written there (not normalised). */
export interface CidxProject {
  root: string
  serverUrl: string
  username: string
}

const PROJECT_DIR = '.code-indexer'
const SALT_BYTES = 32
const IV_BYTES = 16
const PBKDF2_ITERATIONS = 100_000
const KEY_BYTES = 32

const SETUP_HINT =
  'Run `cidx login --server URL`, or set CIDX_SERVER_URL with CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD), or run inside a cidx project (.code-indexer/).'

/** Hides `user:password@` so an invalid URL can be quoted in an error. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^/@]*@/, '//***@')
}

/**
 * Validates a server URL (http or https, no credentials, query or fragment) and normalises it:
 * lower-case host, default port dropped, no trailing slash (a path prefix is kept).
 */
export function normalizeServerUrl(raw: string, origin: string): string {
  const trimmed = raw.trim()
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new UsageError(`${origin}: "${redactUrl(trimmed)}" is not a URL`, {
      hint: 'Give the full address with its scheme, e.g. https://cidx.example.com or http://localhost:8000.',
    })
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const guess = trimmed.includes('://') ? '' : ` Did you mean http://${redactUrl(trimmed)}?`
    throw new UsageError(`${origin}: only http:// and https:// server URLs are supported`, {
      hint: `Give the full address with its scheme, e.g. https://cidx.example.com.${guess}`,
    })
  }

  if (url.username || url.password) {
    throw new UsageError(`${origin}: the server URL must not contain a user name or password`, {
      hint: 'Use `cidx login`, CIDX_TOKEN or CIDX_USERNAME and CIDX_PASSWORD for credentials.',
    })
  }

  if (url.search || url.hash) {
    throw new UsageError(`${origin}: the server URL must not have a query or a fragment`, {
      hint: 'Give only the address of the server, e.g. https://cidx.example.com.',
    })
  }

  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

function normalizeOrNull(raw: string): string | null {
  try {
    return normalizeServerUrl(raw, '')
  } catch {
    return null
  }
}

interface EnvSettings {
  serverUrl?: string
  token?: string
  username?: string
  password?: string
}

/**
 * Empty variables count as unset. Passwords and user names are kept exactly as given. A malformed
 * CIDX_SERVER_URL is reported even with --server: it decides whether env credentials may be used.
 */
function readEnv(env: NodeJS.ProcessEnv): EnvSettings {
  const value = (name: string): string | undefined => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  const server = value('CIDX_SERVER_URL')
  return {
    serverUrl: server === undefined ? undefined : normalizeServerUrl(server, 'CIDX_SERVER_URL'),
    token: value('CIDX_TOKEN')?.trim() || undefined,
    username: value('CIDX_USERNAME'),
    password: value('CIDX_PASSWORD'),
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

function brokenProject(path: string, problem: string): NotConfiguredError {
  return new NotConfiguredError(`${path} ${problem}`, {
    hint: 'Fix it (it needs "server_url" and "username"), or use `cidx login --server URL` outside the project.',
  })
}

/**
 * Finds the nearest folder, from `cwd` upwards, whose `.code-indexer/` holds a `.remote-config`.
 * Local-mode projects (a `.code-indexer/` without `.remote-config`) have no server and are passed over.
 */
export async function findProject(cwd: string): Promise<CidxProject | null> {
  let dir = resolve(cwd)
  for (;;) {
    const configPath = join(dir, PROJECT_DIR, '.remote-config')
    if (await isFile(configPath)) return readRemoteConfig(dir, configPath)
    const parent = dirname(dir)
    if (parent === dir) return null
    dir = parent
  }
}

async function readRemoteConfig(root: string, configPath: string): Promise<CidxProject> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(configPath, 'utf8'))
  } catch (error) {
    const problem = error instanceof SyntaxError ? 'is not valid JSON' : `cannot be read (${(error as NodeJS.ErrnoException).code})`
    throw brokenProject(configPath, problem)
  }

  const {server_url: serverUrl, username} = (parsed ?? {}) as Record<string, unknown>
  if (typeof serverUrl !== 'string' || serverUrl === '' || typeof username !== 'string' || username === '') {
    throw brokenProject(configPath, 'has no "server_url" or no "username"')
  }

  return {root, serverUrl, username}
}

function undecryptable(credsPath: string): AuthError {
  return new AuthError(`Cannot decrypt ${credsPath}`, {
    hint:
      'It is damaged, or was written for another user, server or folder: set it up again with the Python cidx (`cidx init --remote URL --username U --password P`), or use `cidx login`.',
  })
}

/** Decrypts one `.creds` blob with one candidate key input; null when the key does not fit. */
async function tryDecrypt(data: Buffer, keyInput: string): Promise<{username: string; password: string} | null> {
  const salt = data.subarray(0, SALT_BYTES)
  const iv = data.subarray(SALT_BYTES, SALT_BYTES + IV_BYTES)
  const ciphertext = data.subarray(SALT_BYTES + IV_BYTES)
  const key = await promisify(pbkdf2)(Buffer.from(keyInput, 'utf8'), salt, PBKDF2_ITERATIONS, KEY_BYTES, 'sha256')
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, iv)
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    const {username, password} = JSON.parse(plaintext) as Record<string, unknown>
    if (typeof username !== 'string' || typeof password !== 'string') return null
    return {username, password}
  } catch {
    // Wrong key (bad padding or garbage JSON): the caller tries the next candidate or reports the file.
    return null
  }
}

/**
 * Reads `.code-indexer/.creds` as the Python cidx wrote it: salt (32) + IV (16) + AES-256-CBC/PKCS7
 * ciphertext of `{"username","password","server_url","created_at"}`, key = PBKDF2-HMAC-SHA256
 * (100,000 iterations, 32 bytes) of `<username>:<project root>:<server_url>` with that salt.
 * Returns null when the project has no `.creds`. The content never appears in an error.
 */
export async function readProjectCredentials(project: CidxProject): Promise<{username: string; password: string} | null> {
  const credsPath = join(project.root, PROJECT_DIR, '.creds')
  let data: Buffer
  try {
    data = await readFile(credsPath)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return null
    throw new AuthError(`Cannot read ${credsPath} (${code})`, {hint: 'Check its owner and permissions (it should be 0600 and yours).'})
  }

  // At least one cipher block after salt and IV.
  if (data.length < SALT_BYTES + IV_BYTES + 16 || (data.length - SALT_BYTES - IV_BYTES) % 16 !== 0) throw undecryptable(credsPath)
  // Python used the project path as it found it; that is the real path unless the project was reached through a symlink.
  const roots = [...new Set([project.root, await realpath(project.root).catch(() => project.root)])]
  for (const root of roots) {
    const decrypted = await tryDecrypt(data, `${project.username}:${root}:${project.serverUrl}`)
    if (decrypted) return decrypted
  }

  throw undecryptable(credsPath)
}

/** Lazily read sources, so that e.g. `--server` with CIDX_TOKEN never touches the project or the session. */
class Sources {
  private project?: Promise<CidxProject | null>
  private session?: Promise<Session | null>

  constructor(
    readonly options: ResolveOptions,
    readonly env: EnvSettings,
  ) {}

  findProject(): Promise<CidxProject | null> {
    this.project ??= findProject(this.options.cwd)
    return this.project
  }

  readSession(): Promise<Session | null> {
    this.session ??= readSession(this.options.configDir)
    return this.session
  }
}

function fromEnv(server: string, source: CredentialSource, sources: Sources): ResolvedCredentials | null {
  const {env, options} = sources
  if (env.serverUrl !== undefined && env.serverUrl !== server) return null
  if (env.token) return {serverUrl: server, source, authOrigin: 'env', staticToken: env.token}
  if (env.username && env.password) {
    return {
      serverUrl: server,
      source,
      authOrigin: 'env',
      username: env.username,
      password: env.password,
      tokenStore: cachedTokenStore(options.configDir, server, env.username),
    }
  }

  return null
}

async function fromProject(server: string, source: CredentialSource, sources: Sources): Promise<ResolvedCredentials | null> {
  const project = await sources.findProject()
  if (!project || normalizeOrNull(project.serverUrl) !== server) return null
  const creds = await readProjectCredentials(project)
  if (!creds) return null
  return {
    serverUrl: server,
    source,
    authOrigin: 'project',
    projectRoot: project.root,
    username: creds.username,
    password: creds.password,
    tokenStore: cachedTokenStore(sources.options.configDir, server, creds.username),
  }
}

async function fromSession(server: string, source: CredentialSource, sources: Sources): Promise<ResolvedCredentials | null> {
  const session = await sources.readSession()
  if (!session || session.server !== server) return null
  if (!session.accessToken && !session.refreshToken) {
    throw new AuthError(`Your login session for ${server} has expired`, {hint: `Run \`cidx login --server ${server}\` again.`})
  }

  return {
    serverUrl: server,
    source,
    authOrigin: 'login',
    username: session.username,
    tokenStore: sessionTokenStore(sources.options.configDir, server, session.username),
  }
}

async function credentialsFor(server: string, source: CredentialSource, sources: Sources): Promise<ResolvedCredentials> {
  const found =
    fromEnv(server, source, sources) ?? (await fromProject(server, source, sources)) ?? (await fromSession(server, source, sources))
  if (found) return found
  throw new NotConfiguredError(`No credentials for ${server}`, {
    hint: `Run \`cidx login --server ${server}\`, or set CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD).`,
  })
}

function nothingConfigured(env: EnvSettings): NotConfiguredError {
  const envHalf = env.token || env.username || env.password ? ' (CIDX_TOKEN or CIDX_USERNAME/CIDX_PASSWORD are set, but CIDX_SERVER_URL is not)' : ''
  return new NotConfiguredError(`No CIDX server configured${envHalf}`, {hint: SETUP_HINT})
}

/** Resolves the server and how to authenticate to it; see the comment at the top of this file. */
export async function resolveCredentials(options: ResolveOptions): Promise<ResolvedCredentials> {
  const flagServer = options.serverFlag === undefined ? undefined : normalizeServerUrl(options.serverFlag, '--server')
  const sources = new Sources(options, readEnv(options.env))
  if (flagServer !== undefined) return credentialsFor(flagServer, 'flags', sources)
  if (sources.env.serverUrl !== undefined) return credentialsFor(sources.env.serverUrl, 'env', sources)

  const project = await sources.findProject()
  if (project) {
    const server = normalizeServerUrl(project.serverUrl, join(project.root, PROJECT_DIR, '.remote-config'))
    return credentialsFor(server, 'project', sources)
  }

  const session = await sources.readSession()
  if (session) return credentialsFor(session.server, 'login', sources)
  throw nothingConfigured(sources.env)
}

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
  serverFlag?: string
  usernameFlag?: string
  env: NodeJS.ProcessEnv
  configDir: string
}): Promise<LoginTarget> {
  const session = await readSession(options.configDir)
  const {serverFlag, env} = options
  let server: string
  let source: CredentialSource
  if (serverFlag !== undefined) [server, source] = [normalizeServerUrl(serverFlag, '--server'), 'flags']
  else if (env.CIDX_SERVER_URL) [server, source] = [normalizeServerUrl(env.CIDX_SERVER_URL, 'CIDX_SERVER_URL'), 'env']
  else if (session) [server, source] = [session.server, 'login']
  else throw new UsageError('No server to log in to', {hint: 'Use `cidx login --server URL` (or set CIDX_SERVER_URL).'})

  const username = options.usernameFlag || env.CIDX_USERNAME || (session?.server === server ? session.username : undefined)
  return username ? {server, source, username} : {server, source}
}
