import {Args, Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {NotFoundError} from '../../errors.js'
import {exitCodeForStatus} from '../../exit-codes.js'
import type {Job} from '../../jobs/job.js'
import {formatJobDetails} from '../../ui/job-details.js'
import {resolveJob} from '../../jobs/job-id.js'
import type {JobsClient} from '../../client/jobs-client.js'
import {JobWatcher} from '../../watch/job-watcher.js'
import {createStopSignal} from '../../support/stop-signal.js'
import {detectTerminal} from '../../ui/terminal.js'
import {parseDurationFlag} from '../../support/time.js'
import {createRenderer, type WatchRenderer} from '../../watch/watch-render.js'

export default class JobsStatus extends JobsCommand<typeof JobsStatus> {
  static override summary = 'Show everything about one job'
  static override description = [
    'Status, progress, current step, ETA, times, user, repository, the error in full and the result. JOB_ID is a full job ID or a unique prefix of at least 4 characters (the short IDs `jobs list` shows); an ambiguous prefix lists the candidates and exits 2.',
    'With --wait it follows the job until it ends, then shows it; the exit code tells how it ended: 0 completed, 10 failed, 11 cancelled, 12 completed_partial, 124 --timeout reached, 130 Ctrl-C (the job goes on).',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> jobs status 3f0c9a52',
    '<%= config.bin %> jobs status 3f0c9a52 --json | jq .progress',
    '<%= config.bin %> jobs status 3f0c9a52 --wait --timeout 30m && echo done',
  ]

  static override args = {
    job_id: Args.string({description: 'job ID, or a unique prefix of at least 4 characters', required: true}),
  }

  static override flags = {
    wait: Flags.boolean({description: 'follow the job until it ends, then show it; exit code by outcome'}),
    timeout: Flags.string({description: 'with --wait: give up after this long (exit 124), e.g. 90s, 30m', dependsOn: ['wait']}),
    push: Flags.boolean({allowNo: true, default: true, hidden: true, description: 'use the server push channel when offered'}),
  }

  public async run(): Promise<Job> {
    const timeoutMs = this.flags.timeout === undefined ? undefined : parseDurationFlag(this.flags.timeout, 'timeout')
    const client = await this.jobsClient()
    let job = await resolveJob(client, this.args.job_id)
    if (this.flags.wait) job = await this.waitForEnd(client, job, timeoutMs)
    const terminal = detectTerminal(process.stdout)
    if (!this.jsonEnabled()) this.log(formatJobDetails(job, terminal).join('\n'))
    const exitCode = this.flags.wait ? exitCodeForStatus(job.status) : 0
    if (exitCode !== 0) {
      if (this.jsonEnabled()) this.logJson(job)
      this.exit(exitCode)
    }

    return job
  }

  /** Follows the job with the watch engine (a live task on a terminal, silence elsewhere); returns its last state. */
  private async waitForEnd(client: JobsClient, job: Job, timeoutMs: number | undefined): Promise<Job> {
    const stop = createStopSignal({timeoutMs, timeoutLabel: this.flags.timeout})
    const terminal = detectTerminal(process.stdout)
    const renderer: WatchRenderer | undefined =
      terminal.animate && !this.jsonEnabled()
        ? await createRenderer('tty', {out: process.stdout, err: process.stderr, color: terminal.color, width: terminal.width})
        : undefined
    const watcher = new JobWatcher(client, {jobIds: [job.job_id], push: this.flags.push, signal: stop.signal})
    try {
      for await (const event of watcher.events()) renderer?.handle(event)
      await renderer?.close()
    } catch (error) {
      await renderer?.close(error as Error)
      throw error
    } finally {
      stop.dispose()
    }

    if (watcher.gone.has(job.job_id)) throw new NotFoundError(`Job ${job.job_id} is no longer found on the server.`)
    return watcher.jobs.get(job.job_id) ?? job
  }
}
