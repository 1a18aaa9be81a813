import {Args, Flags} from '@oclif/core'

import type {JobsClient} from '../../client/jobs-client.js'
import type {Job} from '../../jobs/job.js'

import {JobsCommand} from '../../base-command.js'
import {WaitTimeoutError} from '../../errors.js'
import {ExitCode, exitCodeForStatus} from '../../exit-codes.js'
import * as cidxFlags from '../../flags.js'
import {resolveJob} from '../../jobs/job-id.js'
import {formatJobDetails} from '../../ui/job-details.js'
import {formatPercent} from '../../ui/job-format.js'
import {detectTerminal} from '../../ui/terminal.js'
import {followJob} from '../../watch/follow.js'
import {createRenderer} from '../../watch/watch-render.js'

export default class JobsStatus extends JobsCommand<typeof JobsStatus> {
  static override args = {
    job_id: Args.string({description: 'job ID, or a unique prefix of at least 4 characters', required: true}),
  }
  static override description = [
    'Status, progress, current step (and with --wait an ETA from the progress it sees), times, user, repository, the cluster node that ran it (a local server run as a cluster says), the error in full and the result. JOB_ID is a full job ID or a unique prefix of at least 4 characters (the short IDs `jobs list` shows); an ambiguous prefix lists the candidates and exits 2.',
    'With --wait it follows the job until it ends, then shows it; the exit code tells how it ended: 0 completed, 10 failed, 11 cancelled, 12 completed_partial, 124 --timeout reached, 130 Ctrl-C (the job goes on).',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> jobs status 3f0c9a52',
    '<%= config.bin %> jobs status 3f0c9a52 --json | jq .progress',
    '<%= config.bin %> jobs status 3f0c9a52 --wait --timeout 30m && echo done',
  ]
  static override flags = {
    wait: Flags.boolean({description: 'follow the job until it ends, then show it; exit code by outcome'}),
    timeout: cidxFlags.duration({
      description: 'with --wait: give up after this long (exit 124), e.g. 90s, 30m',
      dependsOn: ['wait'],
    }),
    push: cidxFlags.push(),
  }
  static override summary = 'Show everything about one job'

  public async run(): Promise<Job> {
    const client = await this.jobsClient()
    let job = await resolveJob(client, this.args.job_id, {seenIds: () => this.seenJobIds()})
    await this.rememberJobs([job])
    const terminal = detectTerminal(process.stdout)
    if (this.flags.wait) {
      // A live task on a terminal while it waits, silence elsewhere.
      const renderer =
        terminal.animate && !this.jsonEnabled()
          ? await createRenderer('tty', {
              out: process.stdout,
              err: process.stderr,
              color: terminal.color,
              width: terminal.width,
              ...(terminal.height ? {height: terminal.height} : {}),
              summary: false,
            })
          : undefined
      const waited = job
      job = await followJob(client, job, {timeout: this.flags.timeout, push: this.flags.push, renderer}).catch(
        (error: unknown) => this.giveUp(client, waited, error),
      )
      await this.rememberJobs([job])
    }

    if (!this.jsonEnabled()) this.log(formatJobDetails(job, terminal).join('\n'))
    return this.finishWith(job, this.flags.wait ? exitCodeForStatus(job.status) : ExitCode.OK)
  }

  /**
   * The --timeout ran out (exit 124): the job as it is at that moment, shown in full, and its
   * status in the message, so that the one line on stderr says what was left waiting. Other errors pass.
   */
  private async giveUp(client: JobsClient, waited: Job, error: unknown): Promise<never> {
    if (!(error instanceof WaitTimeoutError)) throw error
    const job = await client.getJob(waited.job_id).catch(() => waited)
    if (!this.jsonEnabled()) this.log(formatJobDetails(job, detectTerminal(process.stdout)).join('\n'))
    throw new WaitTimeoutError(`${error.message} The job is ${job.status} (${formatPercent(job.progress).trim()}).`)
  }
}
