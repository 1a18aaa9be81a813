import {resolveCredentials} from '../auth/credential-chain.js'
import {describeIdentity, formatIdentity} from '../auth/identity.js'
import {BaseCommand} from '../base-command.js'
import {safeText} from '../ui/safe-text.js'

/** What `cidx whoami --json` prints. Never a token. */
export interface WhoamiResult {
  access_token_expires_at: null | string
  /** Where the credentials came from: env, project or login. */
  credentials: string
  method: 'api_key' | 'password' | 'session' | 'token'
  project_root: null | string
  role: null | string
  server: string
  /** Where the server URL came from: flags, env, project or login. */
  source: string
  username: null | string
}

export default class Whoami extends BaseCommand<typeof Whoami> {
  static override description =
    'Resolves the configuration like every jobs command (--server, CIDX_* variables, the cidx project, the login session) and shows it. Reads local state only: it does not contact the server.'
  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami --json']
  static override summary = 'Show the server, user and role the CLI acts as, and where that comes from'

  public async run(): Promise<WhoamiResult> {
    const credentials = await resolveCredentials({
      configDir: this.config.configDir,
      cwd: process.cwd(),
      env: process.env,
      serverFlag: this.flags.server,
    })
    const identity = await describeIdentity(credentials, this.config.configDir)
    // The user name and role come from the server (its token's claims, its answer to the login).
    for (const line of formatIdentity(identity, Date.now())) this.log(safeText(line))
    return {
      server: identity.server,
      username: identity.username,
      role: identity.role,
      source: identity.source,
      credentials: identity.auth,
      method: identity.method,
      project_root: identity.projectRoot,
      access_token_expires_at:
        identity.accessTokenExpiresAt === null ? null : new Date(identity.accessTokenExpiresAt).toISOString(),
    }
  }
}
