import {Flags} from '@oclif/core'

import type {JobsClient} from '../../client/jobs-client.js'
import type {Job} from '../../jobs/job.js'

import {JobsCommand} from '../../base-command.js'
import {type CollectedJobs, serverListsExactly} from '../../client/paging.js'
import * as cidxFlags from '../../flags.js'
import {buildListQuery} from '../../jobs/list-query.js'
import {sortJobs} from '../../jobs/sort.js'
import {safeText} from '../../ui/safe-text.js'

type Caller = {role: null | string; username: null | string}

export default class JobsList extends JobsCommand<typeof JobsList> {
  static override description = [
    'Shows the jobs you can see (all jobs for an admin): ID, type, status, progress, repository, created, duration, and the user for admins.',
    'On a terminal, IDs are shortened to a prefix that `jobs status` accepts, and status and progress get symbols, colours and bars. In a pipe, IDs are printed whole and nothing is coloured or cut.',
    'The table goes to stdout, the "Showing N of M jobs" line to stderr, so `| grep` and `| wc -l` see only jobs.',
    'A real CIDX server filters only by status and pages through only its newest ~50 jobs per status: the other filters are applied here as well, and the CLI says so when the server stopped paging before the jobs ran out.',
  ].join('\n\n')
  static override examples = [
    {description: 'The newest 20 jobs', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'What is waiting or running', command: '<%= config.bin %> <%= command.id %> --status active'},
    {
      description: 'Failed syncs of the last day',
      command: '<%= config.bin %> <%= command.id %> --status failed --type sync_repository --since 1d',
    },
    {
      description: 'Every job of one repository, longest first',
      command: '<%= config.bin %> <%= command.id %> --repository backend --all --sort -duration',
    },
    {
      description: 'IDs only, for xargs',
      command: '<%= config.bin %> <%= command.id %> --status queued -q | xargs -r <%= config.bin %> jobs cancel --yes',
    },
    {
      description: 'For scripts',
      command: "<%= config.bin %> <%= command.id %> --json | jq -r '.[] | [.job_id, .status] | @tsv'",
    },
  ]
  static override flags = {
    status: cidxFlags.status({
      summary: 'only jobs with this status: queued, running, completed, failed, ..., or active',
    }),
    type: Flags.string({
      multiple: true,
      description: 'operation type, e.g. sync_repository, add_golden_repo (repeat or comma-separate)',
      helpValue: 'TYPE',
    }),
    repository: Flags.string({description: 'only jobs about this repository alias'}),
    user: Flags.string({description: "only this user's jobs (admins see everyone's)"}),
    since: Flags.string({
      description: 'only jobs created since then: a duration ago (90m, 2h, 7d, 1h30m) or an ISO date/time',
      helpValue: 'WHEN',
    }),
    until: Flags.string({description: 'only jobs created before then (same forms as --since)', helpValue: 'WHEN'}),
    limit: cidxFlags.integer({default: 20, min: 1, description: 'show at most this many jobs'}),
    offset: cidxFlags.integer({default: 0, min: 0, description: 'skip this many matching jobs first'}),
    all: Flags.boolean({description: 'show every matching job (pages through the server; ignores --limit)'}),
    sort: cidxFlags.sort({
      summary: 'sort by created, progress, status, type, duration, repository or user; -KEY descending',
    }),
    quiet: Flags.boolean({char: 'q', description: 'print only the full job IDs, one per line', exclusive: ['json']}),
  }
  static override summary = 'List jobs, newest first'

  public async run(): Promise<Job[]> {
    const {flags} = this
    // Every flag is checked before the first request: a typo is exit 2, not a network call.
    const query = buildListQuery(flags)
    const client = await this.jobsClient()
    const {collectJobs} = await import('../../client/paging.js')
    const forPeople = !this.jsonEnabled() && !flags.quiet
    const [collected, caller] = await Promise.all([
      collectJobs(client, query, {limit: flags.all ? 'all' : flags.limit, offset: flags.offset}),
      forPeople ? this.caller(client) : undefined,
    ])
    const jobs = sortJobs(collected.jobs, flags.sort.value)
    // stdout stays pure for scripts, but a listing cut short by the server is never silent.
    if (!forPeople && collected.serverStoppedEarly) this.warn(await this.footer(client, jobs, collected))
    if (flags.quiet) {
      // One ID a line: an ID with a line break in it must not become two for xargs.
      if (jobs.length > 0) process.stdout.write(`${jobs.map((job) => safeText(job.job_id)).join('\n')}\n`)
    } else if (forPeople) {
      await this.printTable(client, jobs, collected, caller)
    }

    await this.rememberJobs(jobs)
    return jobs
  }

  /** Who is asking, to decide on the USER column; unknown (undefined) when the client cannot tell. */
  private async caller(client: JobsClient): Promise<Caller | undefined> {
    try {
      return await client.whoami()
    } catch {
      return undefined
    }
  }

  /** "Showing N of M jobs", or that the server stopped paging early. */
  private async footer(client: JobsClient, jobs: Job[], collected: CollectedJobs): Promise<string> {
    const {listFooter} = await import('../../ui/job-table.js')
    return listFooter({
      shown: jobs.length,
      offset: this.flags.offset,
      complete: collected.complete,
      serverStoppedEarly: collected.serverStoppedEarly,
      totalAtLeast: collected.totalAtLeast,
      // Past what was fetched, only a server that filters and pages correctly (it says so) counts exactly.
      totalExact: collected.complete || serverListsExactly(await client.serverFeatures()),
    })
  }

  private async printTable(
    client: JobsClient,
    jobs: Job[],
    collected: CollectedJobs,
    caller: Caller | undefined,
  ): Promise<void> {
    const [{renderJobTable, shouldShowUser}, {detectTerminal}] = await Promise.all([
      import('../../ui/job-table.js'),
      import('../../ui/terminal.js'),
    ])
    const terminal = detectTerminal(process.stdout)
    if (jobs.length > 0) this.log(renderJobTable(jobs, {terminal, showUser: shouldShowUser(jobs, caller)}).join('\n'))
    this.logToStderr(await this.footer(client, jobs, collected))
  }
}
