/**
 * Push: changes read from the server's event stream as they happen, reconnecting with backoff
 * while polling covers the gaps. A server without a stream, or one that turns ours away (too
 * many open), leaves the watch to polling.
 */
import {setTimeout as sleep} from 'node:timers/promises'

import type {PushRefusedEvent, WatchParts} from './job-watcher.js'

import {CliError} from '../errors.js'
import {isConnectionError, isPushRefused, isPushUnavailable} from './watch-policy.js'
import {WatchSource} from './watch-source.js'

const STREAM_RETRY_MIN_MS = 250
const STREAM_RETRY_MAX_MS = 5000

export interface StreamListener {
  /** The stream broke off: polling must take over until it is back. */
  dropped(): void
  /** Push is over for this watch; `refusal` when the server turned the stream away (worth telling the user). */
  gaveUp(refusal?: PushRefusedEvent): void
}

export class JobStream extends WatchSource {
  private isLive = false

  constructor(
    parts: WatchParts,
    private readonly listener: StreamListener,
  ) {
    super(parts)
  }

  /** Whether events are arriving: the stream has delivered since it last (re)opened. */
  get live(): boolean {
    return this.isLive
  }

  /** Follows the stream until the signal aborts or push is given up; throws what must end watching. */
  async run(): Promise<void> {
    let retryMs = STREAM_RETRY_MIN_MS
    while (!this.signal.aborted) {
      const ids = this.followed.discover ? undefined : this.followed.openJobIds()
      try {
        for await (const job of this.client.streamJobEvents(ids, this.signal)) {
          this.isLive = true
          retryMs = STREAM_RETRY_MIN_MS
          this.outage.restored()
          this.followed.apply(job, 'push', Date.now())
        }
      } catch (error) {
        if (this.signal.aborted) return
        if (isPushUnavailable(error) || isPushRefused(error)) {
          this.isLive = false
          this.listener.gaveUp(isPushRefused(error) ? refusalOf(error) : undefined)
          return
        }

        // Our typed errors that are not about the connection (auth, protocol) end watching; anything
        // else thrown while reading is the stream breaking off, like a connection error.
        if (error instanceof CliError && !isConnectionError(error)) throw error
      }

      this.isLive = false
      this.listener.dropped()
      await sleep(retryMs, undefined, {signal: this.signal}).catch(() => {})
      retryMs = Math.min(retryMs * 2, STREAM_RETRY_MAX_MS)
    }
  }
}

function refusalOf(error: CliError): PushRefusedEvent {
  return {type: 'push_refused', reason: error.message, at: new Date()}
}
