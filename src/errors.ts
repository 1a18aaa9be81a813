import {ExitCode} from './exit-codes.js'

/**
 * Typed errors. Every failure a command can meet is one of these; the base command's
 * catch() turns them into what a person reads (`errorText`) and the exit code they carry.
 */
export type CliErrorKind =
  | 'auth'
  | 'config'
  | 'conflict'
  | 'forbidden'
  | 'internal'
  | 'interrupted'
  | 'network'
  | 'not_found'
  | 'protocol'
  | 'server'
  | 'timeout'
  | 'usage'

export interface CliErrorOptions {
  cause?: unknown
  /** What the user can do about it, a sentence of its own, shown on the line after the message. */
  hint?: string
  /** HTTP status, when the error came from a response. */
  status?: number
}

export class CliError extends Error {
  readonly exitCode: number
  readonly hint?: string
  readonly kind: CliErrorKind
  readonly status?: number

  constructor(kind: CliErrorKind, exitCode: number, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.kind = kind
    this.exitCode = exitCode
    this.hint = options.hint
    this.status = options.status
  }

  /** The JSON error object printed under --json. Never contains secrets (messages are redacted at creation). */
  toJSON(): {error: {exit_code: number; hint?: string; kind: CliErrorKind; message: string; status?: number}} {
    return {
      error: {
        kind: this.kind,
        message: this.message,
        ...(this.hint ? {hint: this.hint} : {}),
        ...(this.status === undefined ? {} : {status: this.status}),
        exit_code: this.exitCode,
      },
    }
  }
}

export class AuthError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('auth', ExitCode.AUTH, message, options)
  }
}

/** No server or credentials configured at all. Exit 3, like other authentication problems. */
export class NotConfiguredError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('config', ExitCode.AUTH, message, options)
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('not_found', ExitCode.NOT_FOUND, message, options)
  }
}

/** 403: the job is not yours (or the server refuses the role). Same exit code as not found. */
export class ForbiddenError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('forbidden', ExitCode.NOT_FOUND, message, options)
  }
}

export class ConflictError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('conflict', ExitCode.CONFLICT, message, options)
  }
}

export class NetworkError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('network', ExitCode.NETWORK, message, options)
  }
}

export class ServerError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('server', ExitCode.ERROR, message, options)
  }
}

/** The server answered something that is not what the contract says (HTML, truncated JSON, wrong types). */
export class ProtocolError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('protocol', ExitCode.ERROR, message, options)
  }
}

export class UsageError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('usage', ExitCode.USAGE, message, options)
  }
}

export class WaitTimeoutError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('timeout', ExitCode.TIMEOUT, message, options)
  }
}

/** Ctrl-C: the user stopped it, which is no error (errorText prints no `Error:` prefix); exit 130. */
export class InterruptedError extends CliError {
  constructor(message = 'Interrupted.', options?: CliErrorOptions) {
    super('interrupted', ExitCode.INTERRUPTED, message, options)
  }
}

/** Something the CLI itself got wrong (a TypeError, ...): a bug, not a problem with the server or the input. */
export class InternalError extends CliError {
  constructor(message: string, options?: CliErrorOptions) {
    super('internal', ExitCode.ERROR, `Internal error: ${message} (a bug in cidx; DEBUG=cidx shows the stack)`, options)
  }
}

/** A one-line message as a sentence: its full stop added when it has no closing punctuation. Lists (several lines) stay as they are. */
export function asSentence(message: string): string {
  const trimmed = message.trimEnd()
  if (trimmed.includes('\n') || /[.!?:]$/.test(trimmed)) return trimmed
  return `${trimmed}.`
}

/**
 * What a person reads for an error, in every command the same way: `Error: ` and the message as a
 * sentence, then the hint on a line of its own. A Ctrl-C is not an error: its message stands alone.
 */
export function errorText(error: CliError): string {
  const message = asSentence(error.message)
  const lines = [error.kind === 'interrupted' ? message : `Error: ${message}`]
  if (error.hint) lines.push(asSentence(error.hint))
  return lines.join('\n')
}
