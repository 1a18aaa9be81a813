import {Command, Errors, Flags, Interfaces, ux} from '@oclif/core'
import {stripVTControlCharacters} from 'node:util'

import type {Credentials} from './auth/credentials.js'
import type {JobsClient} from './client/jobs-client.js'
import type {Job} from './jobs/job.js'

import {CliError, errorText, InternalError, UsageError} from './errors.js'
import {ExitCode} from './exit-codes.js'
import {FlagValueError} from './flags.js'
import {closestMatch} from './support/closest-match.js'
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

/** What oclif's parser hands over with its errors: the input it was given (flags, args) and what it read. */
interface OclifParse {
  input?: {flags?: Record<string, {dependsOn?: string[]; exclusive?: string[]}>}
  output?: {raw?: {flag?: string; input: string; type: string}[]}
}

/**
 * oclif's parse errors carry what the parser saw: the missing arguments' definitions (objects) or
 * the unexpected arguments (text), the unknown flags, the input and output of the parse.
 */
type OclifParseError = Errors.CLIError & {args?: (string | {name: string})[]; flags?: string[]; parse?: OclifParse}

/** The command whose arguments were parsed, named in the messages and in the hint. */
export interface UsageContext {
  /** `cidx jobs status`, as a person types it. */
  command: string
}

/** oclif's own parse errors (unknown flag, missing arg, bad option value; exit 2 unless said otherwise) are usage errors. */
function isOclifUsageError(error: unknown): error is OclifParseError {
  if (!(error instanceof Errors.CLIError)) return false
  return 'parse' in error || error.oclif?.exit === 2
}

/** The usage hint every parse error shares. */
function helpHint(context: undefined | UsageContext): string {
  return `See ${context ? `${context.command} --help` : '--help'} for usage.`
}

/** Words after a command that takes no more arguments (`cidx jobs status ID extra`, `cidx jobs list extra`). */
export function unexpectedArguments(args: string[], context?: UsageContext): UsageError {
  return new UsageError(`Unexpected argument${args.length === 1 ? '' : 's'}: ${args.join(' ')}`, {
    hint: helpHint(context),
  })
}

/** A flag as the user wrote it: `-q` when typed so (a boolean's token is what was typed), else `--name`. */
function writtenFlag(name: string, parse: OclifParse): string {
  const token = parse.output?.raw?.find((raw) => raw.type === 'flag' && raw.flag === name)
  return token && /^-[^-]$/.test(token.input) ? token.input : `--${name}`
}

/** `job_id` as people say it: "the job ID". */
function argumentNoun(name: string): string {
  return `the ${name
    .split('_')
    .map((word) => (word === 'id' ? 'ID' : word))
    .join(' ')}`
}

/** Which flags given together break the command's rules (`exclusive`, `dependsOn`), from what the parser read. */
function flagConflict(parse: OclifParse): string | undefined {
  const definitions = parse.input?.flags ?? {}
  const given = new Set(parse.output?.raw?.flatMap((raw) => (raw.type === 'flag' && raw.flag ? [raw.flag] : [])))
  for (const name of given) {
    const {dependsOn = [], exclusive = []} = definitions[name] ?? {}
    const rival = exclusive.find((other) => given.has(other))
    if (rival) return `${writtenFlag(name, parse)} and ${writtenFlag(rival, parse)} cannot be used together`
    const missing = dependsOn.filter((other) => !given.has(other))
    if (missing.length > 0) {
      return `${writtenFlag(name, parse)} works only with ${missing.map((other) => `--${other}`).join(' and ')}`
    }
  }

  return undefined
}

/**
 * oclif words the errors that carry no typed reason over several lines ("The following error
 * occurred:" or "Parsing --NAME", then the reason, then "See more help with --help"): the reason, one line.
 */
function oclifReasonInOneLine(error: OclifParseError): string {
  const lines = stripVTControlCharacters(error.message)
    .split('\n')
    .map((line) => line.trim().replaceAll(/\s{2,}/g, ' '))
    .filter((line) => line !== '' && !/^see more help/i.test(line))
  // A parse error with several lines heads its reasons with a line of its own ("The following error occurred:").
  if (error.parse && lines.length > 1) lines.shift()
  return lines.map((line, index) => (index < lines.length - 1 && !/[:.]$/.test(line) ? `${line}:` : line)).join(' ')
}

/** The reason of an oclif parse error in our words, from the fields it carries where it has them. */
function usageErrorOf(error: OclifParseError, context: undefined | UsageContext): UsageError {
  const hint = helpHint(context)
  const args = error.args ?? []
  const unexpected = args.filter((arg) => typeof arg === 'string')
  if (unexpected.length > 0) return unexpectedArguments(unexpected, context)
  const missing = args.filter((arg) => typeof arg === 'object')
  if (missing.length > 0 && context) {
    const usage = missing.map(({name}) => name.toUpperCase()).join(' ')
    const nouns = missing.map(({name}) => argumentNoun(name)).join(' and ')
    return new UsageError(`Missing ${nouns}: ${context.command} ${usage}`, {hint})
  }

  if (error.flags?.length) {
    const known = Object.keys(error.parse?.input?.flags ?? {}).map((name) => `--${name}`)
    const [first] = error.flags
    const suggestion = closestMatch(first.split('=')[0], known)
    return new UsageError(`Unknown flag${error.flags.length === 1 ? '' : 's'} ${error.flags.join(', ')}`, {
      hint: suggestion ? `Did you mean ${suggestion}? ${hint}` : hint,
    })
  }

  const conflict = error.parse && flagConflict(error.parse)
  return new UsageError(conflict ?? oclifReasonInOneLine(error), {hint})
}

/** Turns whatever was thrown into one of our typed errors; `context` names the command in usage messages. */
export function toCliError(error: unknown, context?: UsageContext): CliError {
  if (error instanceof CliError) return error
  if (isOclifUsageError(error)) return usageErrorOf(error, context)
  const message = error instanceof Error ? error.message : String(error)
  return new InternalError(message, {cause: error})
}

/**
 * The one place an error reaches the user: under --json the JSON error on stdout, else on stderr
 * what `errorText` makes of it. The message may quote the server: escaped, line breaks kept (some
 * messages list candidates, one a line).
 */
export function reportError(error: CliError, options: {bin?: string; json: boolean}): void {
  const shown = options.bin ? underBinary(error, options.bin) : error
  if (options.json) ux.stdout(safeJson(shown.toJSON(), 2))
  else process.stderr.write(`${safeText(errorText(shown), {multiline: true})}\n`)
}

/** This CLI's own commands in a hint (`cidx login`, `cidx jobs list`); not the Python cidx's `cidx init`. */
const OWN_COMMAND_IN_HINT = /`cidx (?=(?:jobs|login|logout|whoami)\b)/g

/**
 * The error with its hint naming the binary the user runs: installed as a plugin, the jobs
 * commands are `acme jobs list` and `acme login`. Only hints are ours alone to rewrite; a message
 * may quote the server.
 */
function underBinary(error: CliError, bin: string): CliError {
  if (bin === 'cidx' || !error.hint) return error
  const hint = error.hint.replaceAll(OWN_COMMAND_IN_HINT, `\`${bin} `)
  if (hint === error.hint) return error
  // A copy with every own property (the message and stack are not enumerable), the hint replaced.
  const copy = Object.create(
    Object.getPrototypeOf(error) as object,
    Object.getOwnPropertyDescriptors(error),
  ) as CliError
  return Object.defineProperty(copy, 'hint', {value: hint, enumerable: true})
}

/**
 * Ends the run with `code` and nothing more printed. As a plugin, cidx runs under the host CLI's
 * copy of oclif, whose `instanceof ExitError` does not know this bundle's class and would print
 * "EEXIT: 3" after our own message: the flag tells every copy of oclif to leave it alone.
 */
export function exitQuietly(code: number): never {
  throw Object.assign(new Errors.ExitError(code), {skipOclifErrorHandling: true})
}

/**
 * Base of every command: shared flags, `--json`, and the one place where errors become what a
 * person reads (`errorText`: the message, the hint below it) or a JSON error under `--json`, and
 * the exit code of the table.
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
    // oclif has printed the result under --json by now: end with the code, and no message.
    if (this.resultExitCode !== ExitCode.OK) exitQuietly(this.resultExitCode)
    return result
  }

  public override async catch(error: Error & {exitCode?: number}): Promise<never> {
    // An exit inside run() is not a failure: let oclif finish with that code.
    if (error instanceof Errors.ExitError) throw error
    const command = this.id ? [this.config.bin, ...this.id.split(':')].join(' ') : undefined
    const cliError = toCliError(error, command ? {command} : undefined)
    const json = this.jsonEnabled()
    reportError(cliError, {bin: this.config.bin, json})
    if (!json && debugEnabled() && error.stack) process.stderr.write(`${safeText(error.stack, {multiline: true})}\n`)
    return exitQuietly(cliError.exitCode)
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
