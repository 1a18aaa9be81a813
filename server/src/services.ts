import type {AccessTokens} from './auth/access-tokens.js'
import type {ApiKeys} from './auth/api-keys.js'
import type {Authenticator} from './auth/authenticator.js'
import type {LoginLimiter} from './auth/login-limiter.js'
import type {RefreshTokens} from './auth/refresh-tokens.js'
import type {UserStore} from './auth/users.js'
import type {Db} from './db/database.js'
import type {StorageMonitor} from './db/storage-monitor.js'
import type {FileIndex} from './indexer/file-index.js'
import type {JobEngine} from './jobs/job-engine.js'
import type {JobEvents} from './jobs/job-events.js'
import type {JobStore} from './jobs/job-store.js'
import type {ResolvedOptions} from './options.js'
import type {DataLayout} from './repos/layout.js'
import type {RepoStore} from './repos/repo-store.js'

/** Everything the routes use, built once by startServer. */
export interface Services {
  accessTokens: AccessTokens
  apiKeys: ApiKeys
  authenticator: Authenticator
  db: Db
  engine: JobEngine
  events: JobEvents
  index: FileIndex
  jobs: JobStore
  layout: DataLayout
  loginLimiter: LoginLimiter
  options: ResolvedOptions
  refreshTokens: RefreshTokens
  repos: RepoStore
  startedAtMs: number
  storage: StorageMonitor
  users: UserStore
  version: string
}
