import type {AccessTokens} from './auth/access-tokens.js'
import type {Authenticator} from './auth/authenticator.js'
import type {LoginLimiter} from './auth/login-limiter.js'
import type {ClusterMembership} from './cluster/cluster-node.js'
import type {StorageMonitor} from './db/storage-monitor.js'
import type {AuthStorage, IndexStorage, JobStorage, RepoStorage, Storage} from './db/storage.js'
import type {JobEngine} from './jobs/job-engine.js'
import type {JobEvents} from './jobs/job-events.js'
import type {ResolvedOptions} from './options.js'
import type {DataLayout} from './repos/layout.js'

/** Everything the routes use, built once by startServer. */
export interface Services {
  accessTokens: AccessTokens
  apiKeys: AuthStorage['apiKeys']
  authenticator: Authenticator
  /** This node's part in a cluster; absent for a single server. */
  cluster?: ClusterMembership
  /** Everything stored (SQLite or PostgreSQL); the fields below are its parts. */
  data: Storage
  engine: JobEngine
  events: JobEvents
  index: IndexStorage
  jobs: JobStorage
  layout: DataLayout
  loginLimiter: LoginLimiter
  /** The name this server runs jobs under: its node name in a cluster. */
  node: string
  options: ResolvedOptions
  refreshTokens: AuthStorage['refreshTokens']
  repos: RepoStorage
  startedAtMs: number
  /** The data dir's disk: free space and whether writes fail. */
  storage: StorageMonitor
  users: AuthStorage['users']
  version: string
}
