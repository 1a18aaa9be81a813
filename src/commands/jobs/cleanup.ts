import {Flags} from '@oclif/core'

import type {JobsClient} from '../../client/jobs-client.js'

import {JobsCommand} from '../../base-command.js'
import {type CleanupPlan, maxAgeHours, planCleanup} from '../../cleanup/cleanup-plan.js'
import {describeCount, formatPlan} from '../../cleanup/cleanup-render.js'
import {ForbiddenError, UsageError} from '../../errors.js'
import * as cidxFlags from '../../flags.js'
import {confirm} from '../../ui/prompt.js'
import {safeText} from '../../ui/safe-text.js'

/** What `cidx jobs cleanup --json` prints: the plan, and after a real run the server's count. */
export interface CleanupResult extends CleanupPlan {
  /** Jobs the server removed; null on a dry run or when nothing was confirmed. */
  cleaned_count: null | number
  dry_run: boolean
}

export default class JobsCleanup extends JobsCommand<typeof JobsCleanup> {
  static override description = [
    "Deletes the server's finished jobs (completed, partial, failed, cancelled) that ended longer ago",
    "than --older-than (default 720h, the server's retention). Admins only: for anyone else it stops",
    'with exit 4 before sending anything but the token check.',
    '',
    'It first says how many jobs would go: exactly on the local CIDX server, and on a real server',
    'from its listing, which shows only the newest jobs of each status (a lower bound). On a terminal',
    'it asks "Delete N finished jobs? (y/N)"; without one it refuses (exit 2) unless --yes is given.',
    '',
    '--dry-run deletes nothing: a real server has no dry run, so none is ever sent to it.',
    'The local server keeps every job it deletes in its archive (archive/jobs-YYYY-MM.ndjson.gz).',
  ].join('\n')
  static override examples = [
    '<%= config.bin %> jobs cleanup --dry-run',
    '<%= config.bin %> jobs cleanup --older-than 30d',
    '<%= config.bin %> jobs cleanup --older-than 90d --yes --json',
  ]
  static override flags = {
    'older-than': cidxFlags.duration({
      description: 'delete finished jobs that ended longer ago than this, in whole hours (1h to 365d), e.g. 72h, 30d',
      default: cidxFlags.durationOf('720h'),
    }),
    'dry-run': Flags.boolean({description: 'only say how many jobs would be deleted, by status; delete nothing'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask for confirmation'}),
  }
  static override summary = 'Delete old finished jobs on the server (admins), or with --dry-run count them'

  public async run(): Promise<CleanupResult> {
    const hours = maxAgeHours(this.flags['older-than'])
    const dryRun = this.flags['dry-run']
    if (!dryRun && !this.flags.yes && !process.stdin.isTTY) {
      throw new UsageError('Refusing to delete jobs without confirmation: stdin is not a terminal.', {
        hint: 'Pass --yes to delete without asking, or --dry-run to only count.',
      })
    }

    const client = await this.jobsClient()
    await requireAdmin(client)
    const plan = await planCleanup(client, hours)
    // Under --json stdout carries only the result: what people read goes to stderr.
    const info = this.jsonEnabled() ? process.stderr : process.stdout
    if (dryRun) {
      if (!this.jsonEnabled()) this.log(formatPlan(plan).join('\n'))
      return {...plan, dry_run: true, cleaned_count: null}
    }

    if (!this.flags.yes && !(await this.confirmed(plan))) {
      info.write('Nothing deleted.\n')
      return {...plan, dry_run: false, cleaned_count: null}
    }

    const {cleaned_count: cleaned} = await client.cleanupJobs(hours)
    if (!this.jsonEnabled()) {
      this.log(`Deleted ${cleaned} finished job${cleaned === 1 ? '' : 's'} older than ${hours} h.`)
    }

    return {...plan, dry_run: false, cleaned_count: cleaned}
  }

  private confirmed(plan: CleanupPlan): Promise<boolean> {
    return confirm(`Delete ${describeCount(plan)} older than ${plan.max_age_hours} h?`, {
      input: process.stdin,
      output: process.stderr,
    })
  }
}

/**
 * Stops a caller whose token says it is not an admin before anything is sent for the cleanup. A
 * role the token does not state (an API key) is left to the server, which answers 403 (exit 4).
 */
async function requireAdmin(client: JobsClient): Promise<void> {
  const {role, username} = await client.whoami()
  if (role === 'admin' || role === 'unknown') return
  throw new ForbiddenError(safeText(`cidx jobs cleanup needs an admin; ${username} has the role ${role}.`))
}
