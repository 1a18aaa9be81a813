import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {type RecentJob, recentJobs} from '../../completion/id-cache.js'
import {isTerminal} from '../../jobs/job.js'
import {safeText} from '../../ui/safe-text.js'

/**
 * Prints the job IDs of the local cache, for the shell completion script (like Heroku's hidden
 * `autocomplete:options`): reads one small file and never contacts the server, so a TAB is quick.
 * What it prints has passed the cache's rule for safe words on reading (lib/id-cache.ts), however
 * the file was written.
 */
export default class JobsRecentIds extends BaseCommand<typeof JobsRecentIds> {
  static override description =
    'One ID per line, most recently seen first, from the cache that `jobs list` and `jobs watch` keep in the config directory. Reads local state only.'
  static override examples = [
    '<%= config.bin %> jobs recent-ids',
    '<%= config.bin %> jobs recent-ids --cancellable --json',
  ]
  static override flags = {
    cancellable: Flags.boolean({
      description: 'only jobs that were queued or running when last seen (for `jobs cancel`)',
    }),
  }
  static override hidden = true
  static override summary = 'Print the recently seen job IDs (used by shell completion)'

  public async run(): Promise<RecentJob[]> {
    const cached = await recentJobs(this.config.configDir)
    const wanted = this.flags.cancellable ? cached.filter((job) => !isTerminal(job.status)) : cached
    if (!this.jsonEnabled() && wanted.length > 0)
      process.stdout.write(`${wanted.map((job) => safeText(job.job_id)).join('\n')}\n`)
    return wanted
  }
}
