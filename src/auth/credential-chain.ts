import type {Credentials, CredentialSource} from './credentials.js'

import {AuthError, NotConfiguredError} from '../errors.js'
import {readProjectCredentials} from './creds-file.js'
import {type CidxProject, findProject, projectFilePath} from './project-config.js'
import {normalizeServerUrl, normalizeServerUrlOrNull} from './server-url.js'
import {cachedTokenStore, readSession, type Session, sessionTokenStore} from './session-store.js'

/**
 * The credential chain. The server URL comes from the first of: `--server`, `CIDX_SERVER_URL`,
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
  configDir: string
  cwd: string
  env: NodeJS.ProcessEnv
  serverFlag?: string
}

/** Where the credentials themselves came from (`source` says where the server URL came from). */
export type AuthOrigin = Exclude<CredentialSource, 'flags'>

export interface ResolvedCredentials extends Credentials {
  authOrigin: AuthOrigin
  /** The project folder (the one holding `.code-indexer/`) when the project was used. */
  projectRoot?: string
}

const SETUP_HINT =
  'Run `cidx login --server URL`, or set CIDX_SERVER_URL with CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD), or run inside a cidx project (.code-indexer/).'

interface EnvSettings {
  password?: string
  serverUrl?: string
  token?: string
  username?: string
}

/**
 * Empty variables count as unset. Passwords and user names are kept exactly as given. A malformed
 * CIDX_SERVER_URL is reported even with --server: it decides whether env credentials may be used.
 */
function readEnv(env: NodeJS.ProcessEnv): EnvSettings {
  const value = (name: string): string | undefined =>
    env[name] === undefined || env[name] === '' ? undefined : env[name]
  const server = value('CIDX_SERVER_URL')
  return {
    serverUrl: server === undefined ? undefined : normalizeServerUrl(server, 'CIDX_SERVER_URL'),
    token: value('CIDX_TOKEN')?.trim() || undefined,
    username: value('CIDX_USERNAME'),
    password: value('CIDX_PASSWORD'),
  }
}

/** Lazily read sources, so that e.g. `--server` with CIDX_TOKEN never touches the project or the session. */
class Sources {
  private project?: Promise<CidxProject | null>
  private session?: Promise<null | Session>

  constructor(
    readonly options: ResolveOptions,
    readonly env: EnvSettings,
  ) {}

  findProject(): Promise<CidxProject | null> {
    this.project ??= findProject(this.options.cwd)
    return this.project
  }

  readSession(): Promise<null | Session> {
    this.session ??= readSession(this.options.configDir)
    return this.session
  }
}

function fromEnv(server: string, source: CredentialSource, sources: Sources): null | ResolvedCredentials {
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

async function fromProject(
  server: string,
  source: CredentialSource,
  sources: Sources,
): Promise<null | ResolvedCredentials> {
  const project = await sources.findProject()
  if (!project || normalizeServerUrlOrNull(project.serverUrl) !== server) return null
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

async function fromSession(
  server: string,
  source: CredentialSource,
  sources: Sources,
): Promise<null | ResolvedCredentials> {
  const session = await sources.readSession()
  if (!session || session.server !== server) return null
  if (!session.accessToken && !session.refreshToken) {
    throw new AuthError(`Your login session for ${server} has expired`, {
      hint: `Run \`cidx login --server ${server}\` again.`,
    })
  }

  return {
    serverUrl: server,
    source,
    authOrigin: 'login',
    username: session.username,
    tokenStore: sessionTokenStore(sources.options.configDir, server, session.username),
  }
}

async function credentialsFor(
  server: string,
  source: CredentialSource,
  sources: Sources,
): Promise<ResolvedCredentials> {
  const found =
    fromEnv(server, source, sources) ??
    (await fromProject(server, source, sources)) ??
    (await fromSession(server, source, sources))
  if (found) return found
  throw await noCredentials(server, sources)
}

/**
 * None for this server. When the login is for another one, a mistyped --server (another port) is
 * the likelier mistake than a missing login: the message names the server the login is for.
 */
async function noCredentials(server: string, sources: Sources): Promise<NotConfiguredError> {
  const login = `\`cidx login --server ${server}\`, or set CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD)`
  const session = await sources.readSession()
  if (!session || session.server === server)
    return new NotConfiguredError(`No credentials for ${server}`, {hint: `Run ${login}.`})
  return new NotConfiguredError(`No credentials for ${server}; you are logged in to ${session.server}`, {
    hint: `Check the server URL (--server, CIDX_SERVER_URL); to use ${server}, run ${login}.`,
  })
}

function nothingConfigured(env: EnvSettings): NotConfiguredError {
  const envHalf =
    env.token || env.username || env.password
      ? ' (CIDX_TOKEN or CIDX_USERNAME/CIDX_PASSWORD are set, but CIDX_SERVER_URL is not)'
      : ''
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
    const server = normalizeServerUrl(project.serverUrl, projectFilePath(project.root, '.remote-config'))
    return credentialsFor(server, 'project', sources)
  }

  const session = await sources.readSession()
  if (session) return credentialsFor(session.server, 'login', sources)
  throw nothingConfigured(sources.env)
}
