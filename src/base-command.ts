import {Command, Errors, Flags, Interfaces, ux} from '@oclif/core'

import type {JobsClient} from './client/jobs-client.js'
import {CliError, InternalError, UsageError} from './errors.js'
import {safeJson, safeText} from './ui/safe-text.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Environment variables every command reads; listed in each command's help. */
export const ENVIRONMENT_HELP = [
  'CIDX_SERVER_URL   server URL (a --server flag wins)',
  'CIDX_TOKEN        access token or cidx_sk_... API key (for CI)',
  'CIDX_USERNAME, CIDX_PASSWORD   log in with these instead of a stored session',
  'CIDX_CONNECT_TIMEOUT   seconds per connection attempt (default 10)',
  'CIDX_REQUEST_TIMEOUT   seconds for a whole request, retries included (default 30)',
  'HTTPS_PROXY, HTTP_PROXY, NO_PROXY   proxy settings; NODE_EXTRA_CA_CERTS for a private CA',
  'NO_COLOR, FORCE_COLOR   turn colour off / on',
  'DEBUG=cidx   log HTTP requests (secrets redacted) and show stack traces',
].join('\n')

export const EXIT_CODES_HELP = [
  '0 success · 1 unexpected or server error · 2 usage error · 3 authentication',
  '4 job not found or not authorized · 5 network · 6 conflict · 10 job failed',
  '11 job cancelled · 12 job completed_partial · 124 wait timed out · 130 interrupted',
].join('\n')

/** True when DEBUG asks for cidx's diagnostics (`DEBUG=cidx`, `DEBUG=cidx:*`, `DEBUG=*`, `DEBUG=1`). */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.DEBUG
  if (!value) return false
  return value.split(/[\s,]+/).some((part) => part === '*' || part === '1' || part === 'true' || part.startsWith('cidx'))
}

function secondsFromEnv(name: string, fallbackSeconds: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallbackSeconds * 1000
  const seconds = Number(raw)
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${name} must be a positive number of seconds, not "${raw}"`)
  }

  return seconds * 1000
}

/** oclif's own parse errors (unknown flag, missing arg, bad option value) are usage errors: exit 2. */
function isOclifUsageError(error: unknown): error is Error {
  if (!(error instanceof Errors.CLIError)) return false
  const {name} = error.constructor
  return /Parse|Flag|Arg|Validation|Options/.test(name) || error.oclif?.exit === 2
}

/** Turns whatever was thrown into one of our typed errors. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (isOclifUsageError(error)) {
    const firstLine = error.message.split('\n').find((line) => line.trim() !== '') ?? error.message
    return new UsageError(firstLine.trim(), {hint: 'See --help for usage.'})
  }

  const message = error instanceof Error ? error.message : String(error)
  return new InternalError(message, {cause: error})
}

/**
 * Base of every command: shared flags, `--json`, and the one place where errors become a
 * one-line message (or a JSON error under `--json`) and the exit code of the table.
 */
export abstract class BaseCommand<T extends typeof Command = typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    server: Flags.string({
      description: 'CIDX server URL (overrides CIDX_SERVER_URL, the cidx project and the login)',
      helpGroup: 'GLOBAL',
      noCacheDefault: true,
    }),
  }

  protected flags!: InferredFlags<T>
  protected args!: InferredArgs<T>

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as InferredFlags<T>
    this.args = args as InferredArgs<T>
  }

  /**
   * Timeouts for the HTTP client, from the environment (seconds): CIDX_CONNECT_TIMEOUT bounds each
   * connection attempt, CIDX_REQUEST_TIMEOUT one whole API call, retries included (see ClientOptions).
   */
  protected timeouts(): {connectMs: number; responseMs: number} {
    return {
      connectMs: secondsFromEnv('CIDX_CONNECT_TIMEOUT', 10, process.env),
      responseMs: secondsFromEnv('CIDX_REQUEST_TIMEOUT', 30, process.env),
    }
  }

  /** A debug sink for the client: HTTP lines to stderr when DEBUG asks for them. */
  protected debugSink(): ((line: string) => void) | undefined {
    if (!debugEnabled()) return undefined
    return (line: string) => process.stderr.write(`cidx: ${safeText(line)}\n`)
  }

  /**
   * The one JSON writer: `JSON.stringify` with the controls and bidi characters it leaves raw
   * escaped too (safeJson). oclif's own logJson runs the text through its JSON colouriser, a
   * tokenizer that costs ~5 ms per page of jobs and colours nothing without a theme.
   */
  public override logJson(json: unknown): void {
    ux.stdout(safeJson(json, 2))
  }

  public override async catch(error: Error & {exitCode?: number}): Promise<never> {
    // this.exit() inside run() is not a failure: let oclif finish with that code.
    if (error instanceof Errors.ExitError) throw error
    const cliError = toCliError(error)
    if (this.jsonEnabled()) {
      this.logJson(cliError.toJSON())
    } else {
      // The message may quote the server: escaped, line breaks kept (some messages list candidates, one a line).
      const hint = cliError.hint ? ` ${cliError.hint}` : ''
      process.stderr.write(`${safeText(`Error: ${cliError.message}${hint}`, {multiline: true})}\n`)
      if (debugEnabled() && error.stack) process.stderr.write(`${safeText(error.stack, {multiline: true})}\n`)
    }

    return this.exit(cliError.exitCode) as never
  }
}

/** A command that talks to the jobs API. The client is made on first use, so --help never touches config or network. */
export abstract class JobsCommand<T extends typeof Command = typeof Command> extends BaseCommand<T> {
  private clientPromise?: Promise<JobsClient>

  protected jobsClient(): Promise<JobsClient> {
    this.clientPromise ??= this.createJobsClient()
    return this.clientPromise
  }

  private async createJobsClient(): Promise<JobsClient> {
    const [{resolveCredentials}, {JobsClient}] = await Promise.all([import('./auth/credential-chain.js'), import('./client/jobs-client.js')])
    const credentials = await resolveCredentials({
      configDir: this.config.configDir,
      cwd: process.cwd(),
      env: process.env,
      serverFlag: (this.flags as {server?: string}).server,
    })
    return new JobsClient({
      credentials,
      debug: this.debugSink(),
      timeouts: this.timeouts(),
      userAgent: this.config.userAgent,
    })
  }
}
