import {Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {UsageError} from '../../errors.js'
import * as cidxFlags from '../../flags.js'
import {splitList} from '../../jobs/list-query.js'
import {detectTerminal} from '../../ui/terminal.js'

/** Filter values as the view compares them. */
const lower = (values: string[] | undefined) => splitList(values).map((value) => value.toLowerCase())

export default class JobsTop extends JobsCommand<typeof JobsTop> {
  static override description = [
    'A full-screen view that stays up: the server, your user, push or polling, the counts by status and the job-queue health at the top; below, the jobs live (active ones, or with `a` all recent ones), newest first, fitted to the terminal.',
    'Keys: ↑/↓ or j/k move, PgUp/PgDn, Enter details of the selected job (Esc back), c cancel it (y/N, then waits until it has stopped), / filter (type:, repo:, user:, status:, id: or an ID prefix), s sort, a active/all, r refresh, ? help, q quit (exit 0), Ctrl-C (exit 130).',
    'It needs a terminal: elsewhere it refuses (exit 2); follow jobs with `jobs watch` and read them with `jobs list --json` instead.',
  ].join('\n\n')
  // A screen for people: there is no result to print as JSON.
  static override enableJsonFlag = false
  static override examples = [
    '<%= config.bin %> jobs top',
    '<%= config.bin %> jobs top --status running --repository backend',
    '<%= config.bin %> jobs top --type sync_repository --interval 5s',
  ]
  static override flags = {
    status: cidxFlags.status({summary: 'start filtered to this status: queued, running, failed, ..., or active'}),
    type: Flags.string({multiple: true, description: 'start filtered to this job type (repeat or comma-separate)'}),
    repository: Flags.string({multiple: true, description: 'start filtered to this repository alias'}),
    user: Flags.string({multiple: true, description: "start filtered to this user's jobs (admins see everyone's)"}),
    interval: cidxFlags.pollInterval(),
    push: cidxFlags.push(),
  }
  static override summary = 'Watch and manage jobs on a live full-screen view'

  public async run(): Promise<void> {
    const {flags} = this
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UsageError('jobs top needs a terminal (stdin and stdout).', {
        hint: 'Use `cidx jobs watch` to follow jobs in a pipe or a log, or `cidx jobs list --json` for scripts.',
      })
    }

    const filter = {
      statuses: [...new Set((flags.status ?? []).flatMap((status) => status.value))],
      types: lower(flags.type),
      repositories: lower(flags.repository),
      users: lower(flags.user),
      idPrefixes: [],
    }
    const client = await this.jobsClient()
    const {runTop} = await import('../../top/top-app.js')
    const terminal = detectTerminal(process.stdout)
    const {result} = runTop(client, {
      filter,
      input: process.stdin,
      output: process.stdout,
      intervalMs: flags.interval.value,
      push: flags.push,
      render: {color: terminal.color, bars: terminal.bars},
      waitTimeoutMs: 30_000,
    })
    return this.finishWith(undefined, await result)
  }
}
