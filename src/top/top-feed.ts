/**
 * Where the jobs of `jobs top` come from. The watch engine follows every active job (push when
 * the server offers it, else polling at its bounded request rate); it stops once the jobs it
 * follows have all ended, so the feed starts it again after one interval. Now and then (and on
 * `r`) one page of recent jobs, every status, feeds the "all" view and the counts, and the
 * queue health is read again.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {JobsClient} from '../client/jobs-client.js'
import type {ServerHealth} from '../health/server-health.js'
import type {Job} from '../jobs/job.js'

import {CliError} from '../errors.js'
import {JobWatcher, type WatchEvent, type WatchMode} from '../watch/job-watcher.js'
import {connectionNotice} from '../watch/watch-text.js'

export type TopClient = Pick<JobsClient, 'getJob' | 'health' | 'listPage' | 'serverFeatures' | 'streamJobEvents'>

/** How often the recent listing and the health are read again. */
export const REFRESH_MS = 10_000
/** The recent listing: one page, the newest jobs of every status. */
export const RECENT_JOBS = 50

export interface TopFeedListener {
  /** A notice about the connection that holds until it is well again (null). */
  connection(notice: null | string): void
  /** Following broke on something other than the server (a bug): the view must end with it. */
  failed(error: unknown): void
  gone(jobId: string): void
  health(health: ServerHealth | string): void
  job(job: Job): void
  listing(jobs: Job[]): void
  mode(mode: WatchMode): void
  /** Something worth saying once (push given up for polling). */
  notice(text: string): void
}

export interface TopFeedOptions {
  intervalMs: number
  /** false: poll even when the server offers push. */
  push: boolean
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

export class TopFeed {
  private readonly stopper = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private watching: AbortController | undefined

  constructor(
    private readonly client: TopClient,
    private readonly options: TopFeedOptions,
    private readonly listener: TopFeedListener,
  ) {}

  /** Reads everything again now: the recent jobs, the health, and the active jobs (a new watch). */
  refresh(): void {
    this.watching?.abort()
    void this.readRecent()
  }

  /** Starts following; runs until stop(). */
  start(): void {
    this.watchLoop().catch((error: unknown) => this.listener.failed(error))
    void this.readRecent()
    this.timer = setInterval(() => {
      void this.readRecent()
    }, REFRESH_MS)
  }

  stop(): void {
    clearInterval(this.timer)
    this.stopper.abort()
    this.watching?.abort()
  }

  private handle(event: WatchEvent, watcher: JobWatcher): void {
    switch (event.type) {
      case 'gone': {
        this.listener.gone(event.jobId)
        break
      }

      case 'job': {
        this.listener.mode(watcher.mode)
        this.listener.job(event.job)
        break
      }

      case 'push_refused': {
        this.listener.mode('poll')
        this.listener.notice(`Polling instead of push: ${event.reason}`)
        break
      }

      case 'reconnected': {
        this.listener.connection(null)
        break
      }

      case 'reconnecting': {
        this.listener.connection(connectionNotice(event))
      }
    }
  }

  /** The recent listing and the health, each on its own: one failing leaves the other. */
  private async readRecent(): Promise<void> {
    await Promise.all([
      this.client.listPage({}, {limit: RECENT_JOBS, offset: 0}).then(
        (page) => {
          // The server answered: whatever was said about reaching it no longer holds.
          this.listener.connection(null)
          this.listener.listing(page.jobs)
        },
        (error: unknown) => this.listener.connection(`Could not list the recent jobs: ${messageOf(error)}`),
      ),
      this.client.health().then(
        (health) => this.listener.health(health),
        (error: unknown) => this.listener.health(messageOf(error)),
      ),
    ])
  }

  private async watchLoop(): Promise<void> {
    const {intervalMs, push} = this.options
    while (!this.stopper.signal.aborted) {
      const watching = new AbortController()
      this.watching = watching
      const watcher = new JobWatcher(this.client, {intervalMs, push, signal: watching.signal})
      try {
        for await (const event of watcher.events()) this.handle(event, watcher)
        this.listener.mode(watcher.mode)
      } catch (error) {
        // Aborted: a refresh (start again at once) or the end.
        if (watching.signal.aborted) continue
        if (!(error instanceof CliError)) throw error
        this.listener.connection(`${messageOf(error)} Trying again.`)
      }

      await sleep(intervalMs, undefined, {signal: this.stopper.signal}).catch(() => {})
    }
  }
}
