import {Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {UsageError} from '../../errors.js'
import {ExitCode} from '../../exit-codes.js'
import * as cidxFlags from '../../flags.js'
import {resolveJobId} from '../../jobs/job-id.js'
import {detectTerminal} from '../../ui/terminal.js'
import {followedExitCode, followJobs} from '../../watch/follow.js'
import {chooseRenderMode, createRenderer} from '../../watch/watch-render.js'

export default class JobsWatch extends JobsCommand<typeof JobsWatch> {
  static override description = [
    'Follows the given jobs (IDs or unique prefixes), or with no ID every active job you can see, picking up jobs that start while it watches (--type/--repository narrow that selection).',
    'With no active job it says so and exits, unless --follow: then it waits for jobs to start and follows them as they come, until Ctrl-C or --timeout.',
    'On a terminal each job is a line updated in place; elsewhere one timestamped line per change (progress alone at most every --progress-every); with --json one job object per line per change (NDJSON). Changes come by push when the server offers it, else by polling every --interval at most. Ctrl-C stops watching, never the jobs (exit 130).',
    'Exit codes: 0 watched to the end; with --exit-status how the jobs ended (0 completed, 10 failed, 11 cancelled, 12 completed_partial; the worst wins); 124 --timeout reached; 5 server unreachable for longer than --reconnect-grace.',
  ].join('\n\n')
  static override examples = [
    '<%= config.bin %> jobs watch',
    '<%= config.bin %> jobs watch --follow',
    '<%= config.bin %> jobs watch 3f0c9a52 7b1d0e44 --exit-status',
    '<%= config.bin %> jobs watch --progress-every 25%,1m | tee watch.log',
    "<%= config.bin %> jobs watch --type sync_repository --json | jq -c '{job_id, status, progress}'",
  ]
  static override flags = {
    type: Flags.string({
      description: 'with no ID: only jobs of this type (repeatable, or comma-separated)',
      multiple: true,
      delimiter: ',',
    }),
    repository: Flags.string({
      description: 'with no ID: only jobs on this repository (repeatable, or comma-separated)',
      multiple: true,
      delimiter: ',',
    }),
    interval: cidxFlags.pollInterval(),
    follow: Flags.boolean({
      char: 'f',
      description: 'with no ID: keep watching for jobs that start, also when none is active, until Ctrl-C or --timeout',
    }),
    'progress-every': cidxFlags.progressEvery({
      description:
        'in a pipe: a line for progress alone once it has moved this much or this long after the last one (10%, 30s, both, or 0 for every change)',
    }),
    timeout: cidxFlags.duration({description: 'give up after this long (exit 124), e.g. 90s, 30m'}),
    'exit-status': Flags.boolean({
      description: 'exit with how the jobs ended: 0 completed, 10 failed, 11 cancelled, 12 completed_partial',
    }),
    'reconnect-grace': cidxFlags.duration({
      description: 'how long the server may be unreachable before giving up (exit 5)',
      default: cidxFlags.durationOf('60s'),
    }),
    push: cidxFlags.push(),
  }
  // Any number of job IDs.
  static override strict = false
  static override summary = 'Follow jobs live until they end'

  public async run(): Promise<void> {
    const {flags} = this
    if (flags.follow && this.positionals.length > 0) {
      throw new UsageError('--follow watches for jobs as they start: give no job ID with it.', {
        hint: 'Narrow what it follows with --type or --repository.',
      })
    }

    const client = await this.jobsClient()
    const jobIds: string[] = []
    const lookup = {seenIds: () => this.seenJobIds()}
    for (const idOrPrefix of this.positionals) jobIds.push(await resolveJobId(client, idOrPrefix, lookup))

    const terminal = detectTerminal(process.stdout)
    const mode = chooseRenderMode({json: this.jsonEnabled(), animate: terminal.animate})
    const renderer = await createRenderer(mode, {
      out: process.stdout,
      err: process.stderr,
      color: terminal.color,
      width: terminal.width,
      ...(terminal.height ? {height: terminal.height} : {}),
      progressEvery: flags['progress-every'].value,
    })
    const followed = await followJobs(client, {
      jobIds,
      follow: flags.follow,
      types: flags.type,
      repositories: flags.repository,
      intervalMs: flags.interval.value,
      reconnectGraceMs: flags['reconnect-grace'].value,
      timeout: flags.timeout,
      push: flags.push,
      renderer,
      // Seen jobs feed shell completion of job IDs (never fails the command).
      onSeen: (jobs) => this.rememberJobs(jobs),
    })
    return this.finishWith(undefined, flags['exit-status'] ? followedExitCode(followed) : ExitCode.OK)
  }
}
