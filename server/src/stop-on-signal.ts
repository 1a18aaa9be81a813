/**
 * Stops what `starting` started at the first SIGINT or SIGTERM, then exits 0, or 1 when the stop
 * failed. The handlers go in at once, before the start is awaited: a signal that arrived before
 * any handler existed would kill the process outright, leaving jobs, nodes or PostgreSQL behind.
 */
export function stopOnSignal<T>(starting: Promise<T>, stop: (started: T) => Promise<void>): void {
  const onSignal = () => {
    starting
      .then((started) => stop(started))
      .then(
        () => 0,
        (error: unknown) => {
          console.error(`Error while stopping: ${error instanceof Error ? error.message : String(error)}`)
          return 1
        },
      )
      // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- a command line's exit status says whether it stopped cleanly
      .then((code) => process.exit(code))
  }

  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}
