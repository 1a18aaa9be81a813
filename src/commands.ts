/**
 * Every cidx command by its ID: oclif's "explicit" command strategy reads this map (package.json,
 * `oclif.commands`) instead of scanning dist/commands/. A command's ID is its file's path under
 * commands/ (`jobs:list` is commands/jobs/list.ts, its default export): the bundle relies on that
 * to evaluate only the command a run asks for (docs/build.md), and the build checks it.
 */
import JobsCancel from './commands/jobs/cancel.js'
import JobsCleanup from './commands/jobs/cleanup.js'
import JobsHealth from './commands/jobs/health.js'
import JobsList from './commands/jobs/list.js'
import JobsRecentIds from './commands/jobs/recent-ids.js'
import JobsStats from './commands/jobs/stats.js'
import JobsStatus from './commands/jobs/status.js'
import JobsTop from './commands/jobs/top.js'
import JobsWatch from './commands/jobs/watch.js'
import Login from './commands/login.js'
import Logout from './commands/logout.js'
import Whoami from './commands/whoami.js'

export const COMMANDS = {
  'jobs:cancel': JobsCancel,
  'jobs:cleanup': JobsCleanup,
  'jobs:health': JobsHealth,
  'jobs:list': JobsList,
  'jobs:recent-ids': JobsRecentIds,
  'jobs:stats': JobsStats,
  'jobs:status': JobsStatus,
  'jobs:top': JobsTop,
  'jobs:watch': JobsWatch,
  login: Login,
  logout: Logout,
  whoami: Whoami,
}
