/**
 * `jobs top` put together: the feed fills the model, keys change the view, frames are drawn at
 * most FRAME_INTERVAL_MS apart (and once a second for the clocks: durations, "ago"), and a
 * cancel runs as `jobs cancel` runs it, its verified outcome shown in the view. Resolves with
 * the exit code: 0 for `q`, 130 for Ctrl-C. The terminal is restored however it ends.
 */
import type {JobsClient} from '../client/jobs-client.js'
import type {RenderOptions} from '../ui/job-format.js'
import type {TopFilter} from './top-filter.js'

import {outcomeText} from '../cancel/cancel-render.js'
import {cancelJobs} from '../cancel/cancel.js'
import {ExitCode} from '../exit-codes.js'
import {shortJobId} from '../ui/job-format.js'
import {shouldShowUser} from '../ui/job-table.js'
import {safeText} from '../ui/safe-text.js'
import {FrameThrottle} from './frame-throttle.js'
import {type ScreenInput, type ScreenOutput, TerminalScreen} from './screen.js'
import {TopFeed, type TopFeedListener} from './top-feed.js'
import {handleKey, type Key, type TopEffect} from './top-keys.js'
import {TopModel} from './top-model.js'
import {renderTop, type TopViewState} from './top-view.js'

export type TopAppClient = Pick<
  JobsClient,
  'cancelJob' | 'getJob' | 'health' | 'listPage' | 'serverFeatures' | 'serverUrl' | 'streamJobEvents' | 'whoami'
>

export interface TopAppOptions {
  filter: TopFilter
  input: ScreenInput
  intervalMs: number
  output: ScreenOutput
  push: boolean
  render: RenderOptions
  /** How long a cancel waits for the job to stop, as `jobs cancel --wait-timeout`. */
  waitTimeoutMs: number
}

/** The clocks on screen (durations, "3m ago", the ETA) move without any change arriving. */
const CLOCK_TICK_MS = 1000
/** Lines that are not table rows: header, table header, prompt line, footer. */
const NON_ROW_LINES = 6

export interface TopRun {
  /** Frames drawn so far. */
  frames(): number
  /** The exit code, once the view has closed. */
  result: Promise<number>
}

class TopApp {
  readonly result: Promise<number>
  readonly screen: TerminalScreen
  readonly throttle: FrameThrottle
  /** Who is watching, once known. */
  private caller: undefined | {role: null | string; username: null | string}
  private readonly clock: NodeJS.Timeout
  private fail!: (error: unknown) => void
  private readonly feed: TopFeed
  private finish!: (code: number) => void
  private readonly onSigint = () => this.close(ExitCode.INTERRUPTED)
  private readonly onSigterm = () => {
    this.close()
    // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- SIGTERM ends the process; the terminal is restored first
    process.exit(128 + 15)
  }
  private readonly restore = () => this.screen.close()
  private readonly state: TopViewState

  constructor(
    private readonly client: TopAppClient,
    private readonly options: TopAppOptions,
  ) {
    this.state = {
      model: new TopModel({filter: options.filter}),
      pane: 'list',
      prompt: undefined,
      message: 'Press ? for help.',
      showUser: false,
      status: {
        server: client.serverUrl,
        user: '…',
        mode: 'connecting',
        updatedAt: null,
        health: null,
        connection: null,
      },
    }
    this.result = new Promise((resolve, reject) => {
      this.finish = resolve
      this.fail = reject
    })
    this.throttle = new FrameThrottle(() => this.draw())
    this.screen = new TerminalScreen(
      options.output,
      options.input,
      (key) => this.onKey(key),
      () => this.throttle.request(),
    )
    this.feed = new TopFeed(client, options, this.listener())
    this.clock = setInterval(() => this.throttle.request(), CLOCK_TICK_MS)
  }

  /** Ends the view with an exit code, or with the error that broke it. */
  close(code: number = ExitCode.OK, error?: unknown): void {
    clearInterval(this.clock)
    this.throttle.stop()
    this.feed.stop()
    this.screen.close()
    process.off('SIGINT', this.onSigint)
    process.off('SIGTERM', this.onSigterm)
    process.off('exit', this.restore)
    if (error === undefined) this.finish(code)
    else this.fail(error)
  }

  start(): void {
    process.on('SIGINT', this.onSigint)
    process.on('SIGTERM', this.onSigterm)
    // A crash still gives the terminal back.
    process.on('exit', this.restore)
    this.screen.open()
    this.throttle.request()
    this.feed.start()
    void this.readCaller()
  }

  private async cancel(jobId: string): Promise<void> {
    const name = safeText(shortJobId(jobId))
    try {
      const {results} = await cancelJobs(this.client, [jobId], {waitTimeoutMs: this.options.waitTimeoutMs})
      const [result] = results
      // The server's words when it gave any; otherwise the outcome stands alone.
      const words = result.message === null ? '' : ` ${safeText(result.message)}`
      this.state.message = `Job ${name}: ${outcomeText(result)}.${words}`
    } catch (error) {
      this.state.message = `Job ${name}: ${safeText(error instanceof Error ? error.message : String(error))}`
    }

    this.throttle.request()
  }

  private draw(): void {
    this.state.showUser = shouldShowUser(this.state.model.rows(), this.caller)
    this.screen.draw(renderTop(this.state, this.screen.size(), this.options.render))
  }

  private effect(effect: TopEffect): void {
    switch (effect.type) {
      case 'cancel': {
        void this.cancel(effect.job.job_id)
        break
      }

      case 'interrupt': {
        this.close(ExitCode.INTERRUPTED)
        break
      }

      case 'quit': {
        this.close(ExitCode.OK)
        break
      }

      case 'refresh': {
        this.feed.refresh()
      }
    }
  }

  private listener(): TopFeedListener {
    const {state} = this
    const changed = () => {
      state.status.updatedAt = new Date()
      this.throttle.request()
    }

    return {
      job(job) {
        state.model.upsert(job)
        changed()
      },
      gone(jobId) {
        state.model.forget(jobId)
        changed()
      },
      listing(jobs) {
        state.model.takeListing(jobs)
        changed()
      },
      health: (health) => {
        state.status.health = health
        this.throttle.request()
      },
      mode(mode) {
        state.status.mode = mode
      },
      failed: (error) => this.close(ExitCode.OK, error),
      notice: (text) => {
        state.message = text
        this.throttle.request()
      },
      connection: (notice) => {
        state.status.connection = notice
        this.throttle.request()
      },
    }
  }

  private onKey(key: Key): void {
    const pageRows = Math.max(1, this.screen.size().rows - NON_ROW_LINES)
    const effect = handleKey(this.state, key, pageRows)
    if (effect) this.effect(effect)
    this.throttle.request()
  }

  /** Who is watching: the header names them, and an admin sees the USER column from the start. */
  private async readCaller(): Promise<void> {
    try {
      this.caller = await this.client.whoami()
      this.state.status.user = this.caller.username ?? '?'
    } catch {
      this.state.status.user = '?'
    }

    this.throttle.request()
  }
}

/** Opens the view; `result` resolves with the exit code once it has closed. */
export function runTop(client: TopAppClient, options: TopAppOptions): TopRun {
  const app = new TopApp(client, options)
  try {
    app.start()
  } catch (error) {
    app.close()
    throw error
  }

  return {result: app.result, frames: () => app.throttle.frames}
}
