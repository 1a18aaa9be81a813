/**
 * The typed flags the commands share: durations, `--status` and `--sort`, each parsed by oclif's
 * parser when the command starts (in init), so run() gets values, never text to check, and a bad
 * value is a usage error (exit 2) before any configuration or request.
 */
import {Flags} from '@oclif/core'

import {UsageError} from './errors.js'
import {parseStatuses, STATUS_HELP} from './jobs/list-query.js'
import {DEFAULT_SORT, type JobSort, parseSort, SORT_HELP} from './jobs/sort.js'
import {DURATION_SYNTAX, parseDuration, parseDurationFlag} from './support/time.js'

/**
 * A flag value with the text it was written as (`30s`, `-created`): messages quote that text, and
 * --help shows a flag's default with `${default}` (the manifest with JSON.stringify), so a parsed
 * default reads as written there too.
 */
export class WrittenValue<T> {
  constructor(
    readonly value: T,
    readonly text: string,
  ) {}

  toJSON(): string {
    return this.text
  }

  toString(): string {
    return this.text
  }
}

/**
 * What a flag's parser throws for a bad value. oclif rewrites the message of such an error in place
 * ("Parsing --NAME \n\t... See more help with --help"); our reasons name the flag already, so the
 * reason is kept as written, for the base command to report alone (see `unframed`).
 */
export class FlagValueError extends UsageError {
  readonly reason: string

  constructor(cause: UsageError) {
    super(cause.message, {hint: cause.hint, cause})
    this.reason = cause.message
  }

  /** The error without oclif's framing: the reason and the hint, one line. */
  unframed(): UsageError {
    return new UsageError(this.reason, {hint: this.hint})
  }
}

/** Runs a parser of ours inside oclif's: its UsageError becomes a FlagValueError. */
function parsing<T>(parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    throw error instanceof UsageError ? new FlagValueError(error) : error
  }
}

/** A written duration (`90s`, `1h30m`) as milliseconds. */
export type Duration = WrittenValue<number>

/** A duration written in the code (a flag's default or minimum), as people write it: `durationOf('30s')`. */
export function durationOf(text: string): Duration {
  const ms = parseDuration(text)
  // A mistake in the code, not in what the user typed: fail loudly when the module loads.
  if (ms === undefined) throw new Error(`Not a duration: "${text}"`)
  return new WrittenValue(ms, text)
}

/** `--timeout 30m` and the like: the milliseconds and the text as written; `min` refuses shorter ones. */
export const duration = Flags.custom<Duration, {min?: Duration}>({
  async parse(input, _context, {min, name}) {
    return parsing(() => {
      const ms = parseDurationFlag(input, name)
      if (min && ms < min.value) throw new UsageError(`--${name} must be at least ${min.text}, not "${input}".`)
      return new WrittenValue(ms, input)
    })
  },
})

/** A whole number, as people write one: digits, an optional minus sign. */
const INTEGER = /^-?\d+$/

/** `--limit 20` and the like: a whole number of at least `min`; anything else names the flag and what it takes. */
export const integer = Flags.custom<number, {min: number}>({
  async parse(input, _context, {min, name}) {
    return parsing(() => {
      const value = Number(input.trim())
      if (!INTEGER.test(input.trim()) || !Number.isSafeInteger(value) || value < min) {
        throw new UsageError(`--${name} must be an integer of at least ${min} (got ${input})`)
      }

      return value
    })
  },
})

/**
 * `--status`: any case, `pending` for `queued`, `active` for every status of a job that has not
 * ended, `=NAME` passed unchecked, comma lists. Each value given becomes the statuses it stands for.
 */
export const status = Flags.custom<WrittenValue<string[]>>({
  multiple: true,
  helpValue: 'STATUS',
  description: STATUS_HELP,
  async parse(input) {
    return parsing(() => new WrittenValue(parseStatuses([input]) ?? [], input))
  },
})

/** `--sort KEY` or `-KEY` (descending), default newest first. */
export const sort = Flags.custom<WrittenValue<JobSort>>({
  helpValue: 'KEY',
  description: SORT_HELP,
  default: new WrittenValue(parseSort(DEFAULT_SORT), DEFAULT_SORT),
  async parse(input) {
    return parsing(() => new WrittenValue(parseSort(input), input))
  },
})

/** How often progress alone earns a line of `jobs watch` in a pipe: once it has moved `percent` points, or `ms` after the last line. */
export interface ProgressEvery {
  ms: number
  percent: number
}

const DEFAULT_PROGRESS_EVERY = '10%,10s'

/** `10%,10s`, `25%`, `1m`, `0` (every change): a percentage, a duration or both; a part left out never applies. */
export function parseProgressEvery(text: string): ProgressEvery {
  const every: ProgressEvery = {ms: Infinity, percent: Infinity}
  for (const part of text.split(',').map((item) => item.trim())) {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(part)
    if (percent && Number(percent[1]) <= 100) {
      every.percent = Number(percent[1])
      continue
    }

    const ms = part === '0' ? 0 : percent ? undefined : parseDuration(part)
    if (ms === undefined) {
      throw new UsageError(
        `--progress-every takes a percentage of at most 100%, ${DURATION_SYNTAX}, or both (e.g. ${DEFAULT_PROGRESS_EVERY}; 0 for every change), not "${text}".`,
      )
    }

    every.ms = ms
  }

  return every
}

/** `jobs watch --progress-every 10%,10s`: how often progress alone earns a plain line. */
export const progressEvery = Flags.custom<WrittenValue<ProgressEvery>>({
  helpValue: 'PERCENT,DURATION',
  default: new WrittenValue(parseProgressEvery(DEFAULT_PROGRESS_EVERY), DEFAULT_PROGRESS_EVERY),
  async parse(input) {
    return parsing(() => new WrittenValue(parseProgressEvery(input), input))
  },
})

/**
 * The hidden `--no-push` of the commands that follow jobs (status --wait, watch, top): polling
 * alone, for tests and benchmarks, and for a proxy that breaks the event stream.
 */
export const push = () =>
  Flags.boolean({allowNo: true, default: true, hidden: true, description: 'use the server push channel when offered'})

/** Below this the request rate stops being polite to the server. */
const MIN_POLL_INTERVAL = durationOf('100ms')

/** `--interval` of the commands that poll (watch, top): at most one round of requests this often. */
export const pollInterval = () =>
  duration({
    description: 'poll at most this often when the server has no push channel',
    default: durationOf('1s'),
    min: MIN_POLL_INTERVAL,
  })
