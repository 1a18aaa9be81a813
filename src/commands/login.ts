import {Flags} from '@oclif/core'

import {resolveLoginTarget} from '../auth/login-target.js'
import {writeSession} from '../auth/session-store.js'
import {BaseCommand} from '../base-command.js'
import {UsageError} from '../errors.js'
import {promptPassword, promptText, readAllStdin} from '../ui/prompt.js'
import {safeText} from '../ui/safe-text.js'

/** What `cidx login --json` prints. Never a token. */
export interface LoginResult {
  role: string
  server: string
  username: string
}

export default class Login extends BaseCommand<typeof Login> {
  static override description =
    'Asks for the password without echo (or reads it from stdin with --password-stdin), logs in, and keeps the server, user name, role and tokens in the config directory (mode 0600). The password is never stored: the refresh token renews the session until it runs out; then log in again.'
  static override examples = [
    '<%= config.bin %> login --server https://cidx.example.com --username alice',
    'printf %s "$PASSWORD" | <%= config.bin %> login --server https://cidx.example.com --username ci --password-stdin',
  ]
  static override flags = {
    username: Flags.string({char: 'u', description: 'user name (default: CIDX_USERNAME, the last login, or asked)'}),
    'password-stdin': Flags.boolean({description: 'read the password from stdin instead of asking'}),
    totp: Flags.string({description: 'one-time code, for accounts with two-factor authentication'}),
  }
  static override summary = 'Log in to a CIDX server and remember the session'

  public async run(): Promise<LoginResult> {
    const {configDir} = this.config
    const target = await resolveLoginTarget({
      configDir,
      env: process.env,
      serverFlag: this.flags.server,
      usernameFlag: this.flags.username,
    })
    const username = target.username ?? (await this.askUsername())
    const password = await this.readPassword(username, target.server)

    const client = await this.createClient({serverUrl: target.server, source: target.source})
    const {tokens, user} = await client.login(username, password, {
      totp: this.flags.totp ?? (() => this.askOneTimeCode()),
    })
    await writeSession(configDir, {
      server: target.server,
      username: user.username,
      role: user.role,
      accessToken: tokens.accessToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      refreshToken: tokens.refreshToken ?? null,
    })
    // The user name and role are the server's words.
    this.log(safeText(`Logged in to ${target.server} as ${user.username} (${user.role})`))
    return {server: target.server, username: user.username, role: user.role}
  }

  /** Only called when the server asks for a second factor and --totp was not given. */
  private askOneTimeCode(): Promise<string> {
    return promptText('One-time code: ', {
      input: process.stdin,
      output: process.stderr,
      noTerminal: 'no terminal: use --totp CODE',
    })
  }

  private async askUsername(): Promise<string> {
    if (this.flags['password-stdin']) throw new UsageError('--username is required with --password-stdin')
    const username = await promptText('Username: ', {
      input: process.stdin,
      output: process.stderr,
      noTerminal: 'no terminal: use --username',
    })
    if (username === '') throw new UsageError('The user name is empty')
    return username
  }

  private async readPassword(username: string, server: string): Promise<string> {
    const password = this.flags['password-stdin']
      ? await readAllStdin(process.stdin)
      : await promptPassword(`Password for ${username} at ${server}: `, {input: process.stdin, output: process.stderr})
    if (password === '') throw new UsageError('The password is empty')
    return password
  }
}
