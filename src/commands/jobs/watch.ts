import {Flags} from '@oclif/core'

import {JobsCommand} from '../../base-command.js'
import {UsageError} from '../../errors.js'
import {ExitCode, exitCodeForStatus, worstExitCode} from '../../exit-codes.js'
import {resolveJobId} from '../../jobs/job-id.js'
import {JobWatcher} from '../../watch/job-watcher.js'
import {createStopSignal} from '../../support/stop-signal.js'
import {detectTerminal} from '../../ui/terminal.js'
import {parseDurationFlag} from '../../support/time.js'
import {chooseRenderMode, createRenderer} from '../../watch/watch-render.js'

/** Below this the request rate stops being polite to the server. */
const MIN_INTERVAL_MS = 100

export default class JobsWatch extends JobsCommand<typeof JobsWatch> {
  static override summary = 'Follow jobs live until they end'
  static override description = [
    'Follows the given jobs (IDs or unique prefixes), or with no ID every active job you can see, picking up jobs that start while it watches (--type/--repository narrow that selection).',
    'On a terminal each job is a line updated in place; elsewhere one timestamped line per change; with --json one job object per line per change (NDJSON). Changes come by push when the server offers it, else by polling every --interval at most. Ctrl-C stops watching, never the jobs (exit 130).',
    'Exit codes: 0 watched to the end; with --exit-status how the jobs ended (0 completed, 10 failed, 11 cancelled, 12 completed_partial; the worst wins); 124 --timeout reached; 5 server unreachable for longer than --reconnect-grace.',
  ].join('\n\n')

  static override examples = [
    '<%= config.bin %> jobs watch',
    '<%= config.bin %> jobs watch 3f0c9a52 7b1d0e44 --exit-status',
    '<%= config.bin %> jobs watch --type sync_repository --json | jq -c \'{job_id, status, progress}\'',
  ]

  // Any number of job IDs.
  static override strict = false

  static override flags = {
    type: Flags.string({description: 'with no ID: only jobs of this type (repeatable, or comma-separated)', multiple: true, delimiter: ','}),
    repository: Flags.string({description: 'with no ID: only jobs on this repository (repeatable, or comma-separated)', multiple: true, delimiter: ','}),
    interval: Flags.string({description: 'poll at most this often when the server has no push channel', default: '1s'}),
    timeout: Flags.string({description: 'give up after this long (exit 124), e.g. 90s, 30m'}),
    'exit-status': Flags.boolean({description: 'exit with how the jobs ended: 0 completed, 10 failed, 11 cancelled, 12 completed_partial'}),
    'reconnect-grace': Flags.string({description: 'how long the server may be unreachable before giving up (exit 5)', default: '60s'}),
    push: Flags.boolean({allowNo: true, default: true, hidden: true, description: 'use the server push channel when offered'}),
  }

  public async run(): Promise<void> {
    const {argv} = await this.parse(JobsWatch)
    const intervalMs = parseDurationFlag(this.flags.interval, 'interval')
    if (intervalMs < MIN_INTERVAL_MS) throw new UsageError(`--interval must be at least ${MIN_INTERVAL_MS}ms (e.g. 500ms, 1s, 5s).`)
    const graceMs = parseDurationFlag(this.flags['reconnect-grace'], 'reconnect-grace')
    const timeoutMs = this.flags.timeout === undefined ? undefined : parseDurationFlag(this.flags.timeout, 'timeout')

    const client = await this.jobsClient()
    const jobIds: string[] = []
    for (const idOrPrefix of argv as string[]) jobIds.push(await resolveJobId(client, idOrPrefix))

    const terminal = detectTerminal(process.stdout)
    const mode = chooseRenderMode({json: this.jsonEnabled(), animate: terminal.animate})
    const renderer = await createRenderer(mode, {out: process.stdout, err: process.stderr, color: terminal.color, width: terminal.width})
    const stop = createStopSignal({timeoutMs, timeoutLabel: this.flags.timeout})
    const watcher = new JobWatcher(client, {
      jobIds,
      types: this.flags.type,
      repositories: this.flags.repository,
      intervalMs,
      reconnectGraceMs: graceMs,
      push: this.flags.push,
      signal: stop.signal,
    })
    try {
      for await (const event of watcher.events()) renderer.handle(event)
      await renderer.close()
    } catch (error) {
      await renderer.close(error as Error)
      throw error
    } finally {
      stop.dispose()
      // Seen jobs feed shell completion of job IDs (never fails the command).
      const {rememberJobs} = await import('../../completion/id-cache.js')
      await rememberJobs(this.config.configDir, [...watcher.jobs.values()])
    }

    if (this.flags['exit-status']) {
      const codes = [...watcher.jobs.values()].map((job) => (watcher.gone.has(job.job_id) ? ExitCode.NOT_FOUND : exitCodeForStatus(job.status)))
      const code = worstExitCode(codes)
      if (code !== ExitCode.OK) this.exit(code)
    }
  }
}
