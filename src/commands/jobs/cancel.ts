import {Args, Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {type CancelResult, cancelJobs} from '../../cancel/cancel.js'
import {createCancelRenderer, formatSelection} from '../../cancel/cancel-render.js'
import {UsageError} from '../../errors.js'
import type {Job} from '../../jobs/job.js'
import {resolveJob} from '../../jobs/job-id.js'
import type {JobsClient} from '../../client/jobs-client.js'
import {buildListQuery, STATUS_HELP} from '../../jobs/list-flags.js'
import {confirm} from '../../ui/prompt.js'
import {createStopSignal} from '../../support/stop-signal.js'
import {detectTerminal} from '../../ui/terminal.js'
import {parseDurationFlag} from '../../support/time.js'

/** What a filter selects when --status is not given: the jobs a server will cancel. */
const CANCELLABLE_STATUSES = ['queued', 'running']
/** A filter selection larger than this is almost certainly a mistake; it is refused, not truncated. */
const MAX_SELECTION = 1000

export default class JobsCancel extends JobsCommand<typeof JobsCancel> {
  static override summary = 'Cancel jobs, and wait until they have really stopped'
  static override description = [
    'Cancels the given jobs (full IDs or unique prefixes of at least 4 characters), or the jobs a',
    'filter selects (--status, --type, --repository, --user; without --status: queued and running).',
    'The selection is shown first; on a terminal it asks "Cancel N job(s)? (y/N)". Without a terminal',
    'it refuses (exit 2) unless --yes is given: it never waits on a stdin nobody answers.',
    '',
    'A running job keeps running for a while after the server accepts the cancel, so by default each',
    'job is followed until it has really ended, up to --wait-timeout; --no-wait returns once the',
    'server has accepted. Requests go out in parallel, a few at a time.',
    '',
    'Outcomes per job: cancelled, already finished, not found (or not yours), timed out, not cancelled',
    '(it ended some other way first), error. Exit 0 when every job ended cancelled; otherwise the most',
    'serious code: 4 not found, 6 already finished or not cancelled, 124 timed out, 130 Ctrl-C.',
  ].join('\n')

  static override examples = [
    '<%= config.bin %> jobs cancel 3f0c9a52',
    '<%= config.bin %> jobs cancel 3f0c9a52 7b1d0e44 --yes --json',
    '<%= config.bin %> jobs cancel --repository backend --yes',
    '<%= config.bin %> jobs cancel --status queued --type sync_repository --no-wait -y',
  ]

  // Any number of job IDs: the declared one documents them, argv holds them all.
  static override strict = false

  static override args = {
    job_id: Args.string({description: 'job ID or unique prefix (at least 4 characters); give as many as you like'}),
  }

  static override flags = {
    status: Flags.string({description: `select jobs in this status (default: queued and running). ${STATUS_HELP}`, multiple: true, delimiter: ','}),
    type: Flags.string({description: 'select jobs of this type (repeatable, or comma-separated)', multiple: true, delimiter: ','}),
    repository: Flags.string({description: 'select jobs on this repository'}),
    user: Flags.string({description: "select this user's jobs (admins)"}),
    yes: Flags.boolean({char: 'y', aliases: ['force'], description: 'do not ask for confirmation (--force is the same, as in the original cidx)'}),
    wait: Flags.boolean({allowNo: true, default: true, description: 'wait until each job has really stopped (--no-wait: until the server accepted)'}),
    'wait-timeout': Flags.string({description: 'give up waiting after this long (exit 124), e.g. 30s, 2m', default: '30s'}),
  }

  public async run(): Promise<CancelResult[]> {
    const {argv} = await this.parse(JobsCancel)
    const ids = argv as string[]
    const waitTimeoutMs = parseDurationFlag(this.flags['wait-timeout'], 'wait-timeout')
    const filtered = this.hasFilter()
    if (ids.length === 0 && !filtered) throw new UsageError('Name the jobs to cancel: give job IDs, or select them with --status, --type, --repository or --user.')
    if (ids.length > 0 && filtered) throw new UsageError('Give job IDs or filter flags, not both.')
    if (!this.flags.yes && !process.stdin.isTTY) {
      throw new UsageError('Refusing to cancel without confirmation: stdin is not a terminal.', {hint: 'Pass --yes (or --force) to cancel without asking.'})
    }

    const client = await this.jobsClient()
    const jobs = ids.length > 0 ? await this.resolveAll(client, ids) : await this.select(client)
    const terminal = detectTerminal(process.stdout)
    // Under --json stdout carries only the results: the selection goes with the question, to stderr.
    const info = this.jsonEnabled() ? process.stderr : process.stdout
    if (jobs.length === 0) {
      if (!this.jsonEnabled()) this.log('No jobs match: nothing to cancel.')
      return []
    }

    info.write(`${formatSelection(jobs, terminal).join('\n')}\n`)
    if (!this.flags.yes && !(await this.confirmed(jobs.length))) {
      info.write('Nothing cancelled.\n')
      return []
    }

    const {results, exitCode} = await this.cancel(client, jobs, waitTimeoutMs)
    if (exitCode !== 0) {
      if (this.jsonEnabled()) this.logJson(results)
      this.exit(exitCode)
    }

    return results
  }

  private hasFilter(): boolean {
    const {repository, status, type, user} = this.flags
    return Boolean(status?.length || type?.length || repository || user)
  }

  /** Every ID resolved before anything is cancelled: a typo stops the command, not half of it. */
  private async resolveAll(client: JobsClient, ids: string[]): Promise<Job[]> {
    const jobs = new Map<string, Job>()
    for (const id of ids) {
      const job = await resolveJob(client, id)
      jobs.set(job.job_id, job)
    }

    return [...jobs.values()]
  }

  private async select(client: JobsClient): Promise<Job[]> {
    const query = buildListQuery({...this.flags, status: this.flags.status ?? CANCELLABLE_STATUSES})
    const {collectJobs} = await import('../../client/paging.js')
    const {jobs, serverStoppedEarly} = await collectJobs(client, query, {limit: MAX_SELECTION + 1})
    if (jobs.length > MAX_SELECTION) {
      throw new UsageError(`The filter selects more than ${MAX_SELECTION} jobs; narrow it down.`)
    }

    // A real server lists only about its newest 50 jobs per status: say that more may remain.
    if (serverStoppedEarly) process.stderr.write('Warning: the server listed only its newest jobs; run the command again for any that remain.\n')
    return jobs
  }

  private confirmed(count: number): Promise<boolean> {
    return confirm(`Cancel ${count} job(s)?`, {input: process.stdin, output: process.stderr})
  }

  /** Cancels with live output (listr2 on a terminal, lines elsewhere, none under --json); Ctrl-C stops waiting. */
  private async cancel(client: JobsClient, jobs: Job[], waitTimeoutMs: number) {
    const terminal = detectTerminal(process.stdout)
    const renderer = this.jsonEnabled() ? undefined : await createCancelRenderer(jobs, {...terminal, out: process.stdout})
    const stop = createStopSignal()
    try {
      return await cancelJobs(
        client,
        jobs.map((job) => job.job_id),
        {wait: this.flags.wait, waitTimeoutMs, onUpdate: (update) => renderer?.update(update), signal: stop.signal},
      )
    } finally {
      stop.dispose()
      await renderer?.close()
    }
  }
}
