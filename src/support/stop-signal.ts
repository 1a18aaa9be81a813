/**
 * How a waiting command stops: Ctrl-C (exit 130, never touching the jobs) or its --timeout
 * (exit 124). Both abort one signal whose reason is the typed error to report.
 * oclif would turn SIGINT into exit 1, so the command handles it itself.
 */
import {InterruptedError, WaitTimeoutError} from '../errors.js'

export interface StopSignal {
  /** Removes the SIGINT handler and the timer. */
  dispose(): void
  signal: AbortSignal
}

export function createStopSignal(options: {timeoutLabel?: string; timeoutMs?: number} = {}): StopSignal {
  const controller = new AbortController()
  const onInterrupt = () => {
    // A second Ctrl-C while we are still tidying up means "now".
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- the user asked twice: no more tidying up
    if (controller.signal.aborted) process.exit(130)
    controller.abort(new InterruptedError('Stopped watching (the jobs keep running).'))
  }

  process.on('SIGINT', onInterrupt)
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          controller.abort(
            new WaitTimeoutError(`Gave up waiting after ${options.timeoutLabel ?? `${options.timeoutMs} ms`}.`),
          )
        }, options.timeoutMs)
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onInterrupt)
      if (timer) clearTimeout(timer)
    },
  }
}
