/**
 * When watching goes on, falls back or stops: which errors mean "out of reach for now", how long
 * an outage may last, which stream answers mean "poll instead", and what an abort ends with.
 */

import type {ReconnectedEvent, ReconnectingEvent} from './job-watcher.js'

import {CliError, InterruptedError, NetworkError} from '../errors.js'

/** Errors that mean "the server is (for now) out of reach", as opposed to answers we must report. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof NetworkError) return true
  return error instanceof CliError && error.kind === 'server' && [502, 503, 504].includes(error.status ?? 0)
}

/** The client's way of saying "this server has no event stream". */
export function isPushUnavailable(error: unknown): boolean {
  return error instanceof CliError && error.kind === 'not_found' && error.status === 404
}

/** The server has an event stream but turns this one away (too many open for the caller): polling still works. */
export function isPushRefused(error: unknown): error is CliError {
  return error instanceof CliError && error.status === 429
}

/** The error that ends watching when `signal` aborts. */
export function abortError(signal: AbortSignal): CliError {
  return signal.reason instanceof CliError ? signal.reason : new InterruptedError('Stopped watching.')
}

/**
 * Tracks one outage of the server: says "reconnecting" when it starts and "reconnected" when it
 * ends, and gives up with a NetworkError (exit 5) once it has lasted the grace period.
 */
export class Outage {
  private since: null | number = null

  constructor(
    private readonly graceMs: number,
    private readonly report: (event: ReconnectedEvent | ReconnectingEvent) => void,
  ) {}

  get ongoing(): boolean {
    return this.since !== null
  }

  /** A request failed: rethrows what is not about the connection, and the outage that lasted too long. */
  lost(error: unknown): void {
    if (!isConnectionError(error)) throw error
    const now = Date.now()
    if (this.since === null) {
      this.since = now
      const reason = error instanceof Error ? error.message : String(error)
      this.report({type: 'reconnecting', reason, at: new Date(now)})
    }

    if (now - this.since >= this.graceMs) {
      throw new NetworkError(
        `The server has been unreachable for ${Math.round((now - this.since) / 1000)} s; stopped watching.`,
        {
          cause: error,
          hint: 'Check that the server is up, or allow longer with --reconnect-grace.',
        },
      )
    }
  }

  /** A request went through: the outage, if any, is over. */
  restored(): void {
    if (this.since === null) return
    const downForMs = Date.now() - this.since
    this.since = null
    this.report({type: 'reconnected', downForMs, at: new Date()})
  }
}
