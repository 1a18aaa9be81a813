import {JobsCommand} from '../../base-command.js'
import {formatHealth} from '../../health/health-render.js'
import {exitCodeForHealth, type ServerHealth} from '../../health/server-health.js'
import {detectTerminal} from '../../ui/terminal.js'

export default class JobsHealth extends JobsCommand<typeof JobsHealth> {
  static override description = [
    "Asks the server's GET /health with your credentials and shows its status, message, version and uptime, then the job queue: running, pending and failed jobs, and where the server says more (the local server does) the stuck jobs by ID, the oldest pending job's age, the failures of the last hour and the reasons it is not healthy. A local server run as a cluster also lists its nodes: each one's running jobs and last heartbeat, and the stale ones (no heartbeat for too long), which make it degraded.",
    'For monitoring scripts and cron, the exit code tells the status: 0 healthy, 13 degraded, 14 unhealthy (or any other status the server reports), 5 server unreachable, 3 not authenticated.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> jobs health',
    '<%= config.bin %> jobs health --json | jq .job_queue',
    '<%= config.bin %> jobs health || echo "CIDX needs a look (exit $?)"',
  ]
  static override summary = 'Show whether the server and its job system are healthy'

  public async run(): Promise<ServerHealth> {
    const client = await this.jobsClient()
    const health = await client.health()
    if (!this.jsonEnabled()) this.log(formatHealth(health, detectTerminal(process.stdout)).join('\n'))
    return this.finishWith(health, exitCodeForHealth(health.status))
  }
}
