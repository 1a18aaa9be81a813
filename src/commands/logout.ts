import {normalizeServerUrl} from '../auth/server-url.js'
import {clearSession} from '../auth/session-store.js'
import {BaseCommand} from '../base-command.js'

export interface LogoutResult {
  cached_tokens_removed: number
  logged_out: boolean
  server: null | string
}

export default class Logout extends BaseCommand<typeof Logout> {
  static override description =
    'Removes the session stored by `cidx login` and every access token cached for that server. With --server, forgets the cached tokens for that server (and the session only if it is for that server). Running it again does nothing.'
  static override examples = ['<%= config.bin %> logout', '<%= config.bin %> logout --server https://cidx.example.com']
  static override summary = 'Forget the login session and the cached tokens for its server'

  public async run(): Promise<LogoutResult> {
    const server = this.flags.server === undefined ? undefined : normalizeServerUrl(this.flags.server, '--server')
    const result = await clearSession(this.config.configDir, server)
    if (result.sessionRemoved) this.log(`Logged out of ${result.server}`)
    else if (result.cachedTokensRemoved > 0) this.log(`Forgot the cached tokens for ${result.server}`)
    else this.log('Not logged in')
    return {server: result.server, logged_out: result.sessionRemoved, cached_tokens_removed: result.cachedTokensRemoved}
  }
}
