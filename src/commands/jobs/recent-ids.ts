import {Args, Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {idCacheKey, type RecentJob, recentJobs} from '../../completion/id-cache.js'
import {isTerminal} from '../../jobs/job.js'
import {safeText} from '../../ui/safe-text.js'

/**
 * Prints the job IDs of the local cache of the current server and user, for the shell completion
 * scripts (like Heroku's hidden `autocomplete:options`): reads the credentials' sources and one
 * small file, and never contacts the server, so a TAB is quick. What it prints has passed the
 * cache's rule for safe words on reading (completion/id-cache.ts), however the file was written.
 */
export default class JobsRecentIds extends JobsCommand<typeof JobsRecentIds> {
  static override args = {
    word: Args.string({description: 'words already on the command line: IDs among them are not printed again'}),
  }
  static override description =
    'One ID per line, most recently seen first, from the cache that the jobs commands keep in the config directory for the current server and user. Reads local state only.'
  static override examples = [
    '<%= config.bin %> jobs recent-ids',
    '<%= config.bin %> jobs recent-ids --cancellable --json',
    '<%= config.bin %> jobs recent-ids --describe -- jobs status 3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
    '<%= config.bin %> jobs recent-ids --types',
  ]
  static override flags = {
    cancellable: Flags.boolean({
      description: 'only jobs not known to be finished: queued or running when last seen (for `jobs cancel`)',
    }),
    describe: Flags.boolean({
      description: 'print "ID:type, status, repository" (the form zsh shows beside a candidate)',
    }),
    types: Flags.boolean({description: 'print the job types seen instead, each once (for `--type`)'}),
  }
  static override hidden = true
  // Any number of words from the command line.
  static override strict = false
  static override summary = 'Print the recently seen job IDs (used by shell completion)'

  public async run(): Promise<RecentJob[]> {
    const credentials = await this.credentials().catch(() => null)
    // No server configured: nothing to offer, and a TAB must not print an error.
    if (!credentials) return []
    const onLine = new Set(this.positionals)
    const cached = await recentJobs(this.config.configDir, idCacheKey(credentials))
    const wanted = cached.filter(
      (job) => !onLine.has(job.job_id) && !(this.flags.cancellable && isTerminal(job.status)),
    )
    const lines = this.flags.types
      ? [...new Set(wanted.map((job) => job.job_type))]
      : wanted.map((job) => this.line(job))
    if (!this.jsonEnabled() && lines.length > 0)
      process.stdout.write(`${lines.map((line) => safeText(line)).join('\n')}\n`)
    return wanted
  }

  private line(job: RecentJob): string {
    if (!this.flags.describe) return job.job_id
    const details = [job.job_type, job.status, job.repository].filter((part) => part !== undefined)
    return `${job.job_id}:${details.join(', ')}`
  }
}
