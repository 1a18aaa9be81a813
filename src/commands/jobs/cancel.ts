import {Args, Flags} from '@oclif/core'

import type {JobsClient} from '../../client/jobs-client.js'
import type {Job} from '../../jobs/job.js'

import {JobsCommand} from '../../base-command.js'
import {createCancelRenderer, formatSelection} from '../../cancel/cancel-render.js'
import {cancelJobs, type CancelResult} from '../../cancel/cancel.js'
import {cancelRequest, selectJobs} from '../../cancel/selection.js'
import {UsageError} from '../../errors.js'
import * as cidxFlags from '../../flags.js'
import {STATUS_HELP} from '../../jobs/list-query.js'
import {createStopSignal} from '../../support/stop-signal.js'
import {confirm} from '../../ui/prompt.js'
import {detectTerminal} from '../../ui/terminal.js'

export default class JobsCancel extends JobsCommand<typeof JobsCancel> {
  static override args = {
    job_id: Args.string({description: 'job ID or unique prefix (at least 4 characters); give as many as you like'}),
  }
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
  static override flags = {
    status: cidxFlags.status({
      description: `select jobs in this status (default: queued and running). ${STATUS_HELP}`,
      delimiter: ',',
    }),
    type: Flags.string({
      description: 'select jobs of this type (repeatable, or comma-separated)',
      multiple: true,
      delimiter: ',',
    }),
    repository: Flags.string({description: 'select jobs on this repository'}),
    user: Flags.string({description: "select this user's jobs (admins)"}),
    yes: Flags.boolean({
      char: 'y',
      aliases: ['force'],
      description: 'do not ask for confirmation (--force is the same, as in the original cidx)',
    }),
    wait: Flags.boolean({
      allowNo: true,
      default: true,
      description: 'wait until each job has really stopped (--no-wait: until the server accepted)',
    }),
    'wait-timeout': cidxFlags.duration({
      description: 'give up waiting after this long (exit 124), e.g. 30s, 2m',
      default: cidxFlags.durationOf('30s'),
    }),
  }
  // Any number of job IDs: the declared one documents them, argv holds them all.
  static override strict = false
  static override summary = 'Cancel jobs, and wait until they have really stopped'

  public async run(): Promise<CancelResult[]> {
    const request = cancelRequest(this.positionals, this.flags)
    if (!this.flags.yes && !process.stdin.isTTY) {
      throw new UsageError('Refusing to cancel without confirmation: stdin is not a terminal.', {
        hint: 'Pass --yes (or --force) to cancel without asking.',
      })
    }

    const client = await this.jobsClient()
    const {jobs, serverStoppedEarly} = await selectJobs(client, request, {seenIds: () => this.seenJobIds()})
    await this.rememberJobs(jobs)
    if (serverStoppedEarly)
      this.warn('the server listed only its newest jobs; run the command again for any that remain.')
    // Under --json stdout carries only the results: the selection goes with the question, to stderr.
    const info = this.jsonEnabled() ? process.stderr : process.stdout
    if (jobs.length === 0) {
      if (!this.jsonEnabled()) this.log('No jobs match: nothing to cancel.')
      return []
    }

    info.write(`${formatSelection(jobs, detectTerminal(process.stdout)).join('\n')}\n`)
    if (!this.flags.yes && !(await this.confirmed(jobs.length))) {
      info.write('Nothing cancelled.\n')
      return []
    }

    const {results, exitCode} = await this.cancel(client, jobs)
    const finalStatus = new Map(results.map((result) => [result.job_id, result.final_status]))
    await this.rememberJobs(jobs.map((job) => ({...job, status: finalStatus.get(job.job_id) ?? job.status})))
    return this.finishWith(results, exitCode)
  }

  /** Cancels with live output (listr2 on a terminal, lines elsewhere, none under --json); Ctrl-C stops waiting. */
  private async cancel(client: JobsClient, jobs: Job[]) {
    const terminal = detectTerminal(process.stdout)
    const renderer = this.jsonEnabled()
      ? undefined
      : await createCancelRenderer(jobs, {...terminal, out: process.stdout})
    const stop = createStopSignal()
    try {
      return await cancelJobs(
        client,
        jobs.map((job) => job.job_id),
        {
          wait: this.flags.wait,
          waitTimeoutMs: this.flags['wait-timeout'].value,
          onUpdate: (update) => renderer?.update(update),
          signal: stop.signal,
        },
      )
    } finally {
      stop.dispose()
      await renderer?.close()
    }
  }

  private confirmed(count: number): Promise<boolean> {
    return confirm(`Cancel ${count} job(s)?`, {input: process.stdin, output: process.stderr})
  }
}
