import {Flags} from '@oclif/core'

import type {JobStats} from '../../stats/job-stats.js'

import {JobsCommand} from '../../base-command.js'
import {buildListQuery} from '../../jobs/list-query.js'

export default class JobsStats extends JobsCommand<typeof JobsStats> {
  static override description = [
    'How jobs did over a window (default: the last 7 days): counts by status and by type, success rate (completed, partial results included, over completed plus failed), duration p50/p95/max overall and per type, queue wait (started - created) p50/p95, the 5 most frequent failure reasons (IDs, paths and numbers replaced by <id>, <path>, <n>) with an example job, and jobs per hour, day or week by outcome: a chart on a terminal, a table in a pipe.',
    'A real CIDX server lists only its newest ~50 jobs of each status: the figures are then computed from what it lists, and stderr says "based on N jobs; the server hides older ones" (`complete: false` in --json).',
  ].join('\n\n')
  static override examples = [
    {description: 'The last 7 days', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Syncs of the last day',
      command: '<%= config.bin %> <%= command.id %> --since 1d --type sync_repository',
    },
    {description: 'For scripts', command: '<%= config.bin %> <%= command.id %> --json | jq .success_rate'},
  ]
  static override flags = {
    since: Flags.string({
      default: '7d',
      description: 'jobs created since then: a duration ago (90m, 2h, 7d, 1h30m) or an ISO date/time',
      helpValue: 'WHEN',
    }),
    until: Flags.string({
      description: 'jobs created before then (same forms as --since; default now)',
      helpValue: 'WHEN',
    }),
    type: Flags.string({
      multiple: true,
      description: 'operation type, e.g. sync_repository (repeat or comma-separate)',
      helpValue: 'TYPE',
    }),
    repository: Flags.string({description: 'only jobs about this repository alias'}),
    user: Flags.string({description: "only this user's jobs (admins see everyone's)"}),
  }
  static override summary = 'Statistics of the job history: outcomes, durations, waits, failures'

  public async run(): Promise<JobStats> {
    const now = new Date()
    // Every flag is checked before the first request: a typo is exit 2, not a network call.
    const query = buildListQuery(this.flags, now)
    const window = {since: query.since ?? now, until: query.until ?? now}
    const client = await this.jobsClient()
    const {collectStats} = await import('../../stats/collect-stats.js')
    const stats = await collectStats(client, query, window)
    // On stderr in every mode, --json included: a script must learn that the figures are partial.
    if (!stats.complete) process.stderr.write(`Based on ${stats.sample} jobs; the server hides older ones.\n`)
    if (!this.jsonEnabled()) {
      const [{renderStats}, {detectTerminal}] = await Promise.all([
        import('../../stats/stats-render.js'),
        import('../../ui/terminal.js'),
      ])
      this.log(renderStats(stats, detectTerminal(process.stdout)).join('\n'))
    }

    return stats
  }
}
