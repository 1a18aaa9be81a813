import {Command, Errors, Flags, Interfaces, ux} from '@oclif/core'

import type {Credentials} from './auth/credentials.js'
import type {JobsClient} from './client/jobs-client.js'
import type {Job} from './jobs/job.js'

import {CliError, InternalError, UsageError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {FlagValueError} from './flags.js'
import {safeJson, safeText} from './ui/safe-text.js'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>
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

/** True when DEBUG asks for cidx's diagnostics (`DEBUG=cidx`, `DEBUG=cidx:*`, `DEBUG=*`, `DEBUG=1`). */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.DEBUG
  if (!value) return false
  return value
    .split(/[\s,]+/)
    .some((part) => part === '*' || part === '1' || part === 'true' || part.startsWith('cidx'))
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

/**
 * oclif words a parse error over several lines ("Parsing --limit", then "Expected an integer but
 * received: abc"; "Missing 1 required arg:", then the argument): the first line alone says
 * nothing. Joined into one line, without oclif's own "See more help" pointer (our hint says it).
 */
function oclifReasonInOneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim().replaceAll(/\s{2,}/g, ' '))
    .filter((line) => line !== '' && !/^see more help/i.test(line))
  return lines.map((line, index) => (index < lines.length - 1 && !/[:.]$/.test(line) ? `${line}:` : line)).join(' ')
}

/** Turns whatever was thrown into one of our typed errors. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  if (isOclifUsageError(error))
    return new UsageError(oclifReasonInOneLine(error.message), {hint: 'See --help for usage.'})

  const message = error instanceof Error ? error.message : String(error)
  return new InternalError(message, {cause: error})
}

/**
 * Base of every command: shared flags, `--json`, and the one place where errors become a
 * one-line message (or a JSON error under `--json`) and the exit code of the table.
 */
export abstract class BaseCommand<T extends typeof Command = typeof Command> extends Command {
  static override baseFlags = {
    server: Flags.string({
      description: 'CIDX server URL (overrides CIDX_SERVER_URL, the cidx project and the login)',
      helpGroup: 'GLOBAL',
      noCacheDefault: true,
    }),
  }
  static override enableJsonFlag = true
  protected args!: InferredArgs<T>
  protected flags!: InferredFlags<T>
  /** Every positional argument, for the commands that take any number (`strict = false`). */
  protected positionals!: string[]
  /** The exit code run()'s result ends with (see `finishWith`). */
  private resultExitCode: number = ExitCode.OK

  public override async _run<R>(): Promise<R> {
    const result = await super._run<R>()
    // oclif has printed the result under --json by now; this.exit() ends without a message.
    if (this.resultExitCode !== ExitCode.OK) this.exit(this.resultExitCode)
    return result
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

  /** The one way to build a client: the same timeouts, debug output and user agent for every command. */
  protected async createClient(credentials: Credentials): Promise<JobsClient> {
    const {JobsClient} = await import('./client/jobs-client.js')
    return new JobsClient({
      credentials,
      debug: this.debugSink(),
      timeouts: this.timeouts(),
      userAgent: this.config.userAgent,
    })
  }

  /** A debug sink for the client: HTTP lines to stderr when DEBUG asks for them. */
  protected debugSink(): ((line: string) => void) | undefined {
    if (!debugEnabled()) return undefined
    return (line: string) => process.stderr.write(`cidx: ${safeText(line)}\n`)
  }

  /**
   * The one way to return a result that is not a success (a job that failed, a cancel that did
   * not take): `--json` prints the result like any other, then the command exits with `exitCode`.
   */
  protected finishWith<R>(result: R, exitCode: number): R {
    this.resultExitCode = exitCode
    return result
  }

  /** Parses argv once, for run(): flags arrive typed (src/flags.ts), a bad value stops here with exit 2. */
  public override async init(): Promise<void> {
    await super.init()
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    }).catch((error: unknown) => {
      // oclif rewrites what a flag's parser throws into three lines; ours is one line already.
      throw error instanceof FlagValueError ? error.unframed() : error
    })
    this.flags = flags as InferredFlags<T>
    this.args = args as InferredArgs<T>
    this.positionals = argv as string[]
  }

  /**
   * The one JSON writer: `JSON.stringify` with the controls and bidi characters it leaves raw
   * escaped too (safeJson). oclif's own logJson runs the text through its JSON colouriser, a
   * tokenizer that costs ~5 ms per page of jobs and colours nothing without a theme.
   */
  public override logJson(json: unknown): void {
    ux.stdout(safeJson(json, 2))
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

  /** A warning on stderr, in every mode (--json keeps stdout for the result); the text may quote the server. */
  public override warn(input: Error | string): Error | string {
    const text = input instanceof Error ? input.message : input
    process.stderr.write(`${safeText(`Warning: ${text}`)}\n`)
    return input
  }
}

/** A command that talks to the jobs API. The client is made on first use, so --help never touches config or network. */
export abstract class JobsCommand<T extends typeof Command = typeof Command> extends BaseCommand<T> {
  private clientPromise?: Promise<JobsClient>
  private credentialsPromise?: Promise<Credentials>

  /** The server and credentials this command uses (local files and environment only, never the network). */
  protected credentials(): Promise<Credentials> {
    this.credentialsPromise ??= import('./auth/credential-chain.js').then(({resolveCredentials}) =>
      resolveCredentials({
        configDir: this.config.configDir,
        cwd: process.cwd(),
        env: process.env,
        serverFlag: (this.flags as {server?: string}).server,
      }),
    )
    return this.credentialsPromise
  }

  protected jobsClient(): Promise<JobsClient> {
    this.clientPromise ??= this.credentials().then((credentials) => this.createClient(credentials))
    return this.clientPromise
  }

  /**
   * Tells the job-ID cache of this server and user what the command learned of these jobs, for
   * shell completion and prefixes (completion/id-cache.ts). Best effort: it never fails the command.
   */
  protected async rememberJobs(jobs: readonly Job[]): Promise<void> {
    try {
      const {cache, key} = await this.idCache()
      await cache.rememberJobs(this.config.configDir, key, jobs)
    } catch {
      // A cache that cannot be read or written costs a completion, never the command.
    }
  }

  /** The IDs this user saw on this server, most recent first: the likeliest meanings of a prefix. Never fails. */
  protected async seenJobIds(): Promise<string[]> {
    try {
      const {cache, key} = await this.idCache()
      return (await cache.recentJobs(this.config.configDir, key)).map((job) => job.job_id)
    } catch {
      return []
    }
  }

  /** The ID cache module, loaded on first use (start-up does not pay for it), and this command's key into it. */
  private async idCache() {
    const [cache, credentials] = await Promise.all([import('./completion/id-cache.js'), this.credentials()])
    return {cache, key: cache.idCacheKey(credentials)}
  }
}
