export interface ProgressUpdate {
  detail?: null | string
  phase?: null | string
  progress?: number
}

export interface GitCallOptions {
  cwd?: string
  /** For the restore steps of a rollback, which must run even though the job was cancelled. */
  ignoreCancellation?: boolean
  onStderrLine?: (line: string) => void
  /**
   * For clone and fetch (run with `--progress`): git is stopped and the job fails when it writes
   * nothing for the server's git stall timeout, as when a remote stops answering.
   */
  watchForStalls?: boolean
}

/** What a running job's code gets from the engine. */
export interface JobContext {
  /** Called between batches: waits the configured throttle, throws once the job is cancelled. */
  checkpoint(): Promise<void>
  /** Runs git in its own process group, tracked so it can be stopped with the job. */
  git(args: string[], options?: GitCallOptions): Promise<string>
  readonly jobId: string
  /** Progress is held in memory, pushed to watchers at once and written to SQLite about once a second. */
  report(update: ProgressUpdate): void
  /** Aborted when the job is cancelled (or the server shuts down). */
  readonly signal: AbortSignal
  readonly username: string
}

/** The code of one job: returns what goes into the job's `result`. */
export type JobRun = (context: JobContext) => Promise<Record<string, unknown>>
