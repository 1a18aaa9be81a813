import type {ServerResponse} from 'node:http'

export interface SseLimits {
  /** How long the client may leave the socket full before the stream is cut off. */
  maxBlockedMs: number
  /** How much may be held back for a blocked client before the stream is cut off. */
  maxPendingBytes: number
  /** Told why a stream was cut off (for the log). */
  onCutOff?: (reason: string) => void
}

interface HeldBackEvent {
  bytes: number
  data: string
  event: string
}

/**
 * A Server-Sent Events response that respects backpressure. While the client keeps up, every
 * event is written. Once a write finds the socket full, events are held back instead, only the
 * latest one per key (a watcher needs each job's current state, not every state it went
 * through), and written when the socket drains. A client that stays blocked too long, or for
 * which too much is held back, is cut off: a suspended or hostile reader cannot make the
 * server's memory grow with the events it does not read.
 */
export class SseStream {
  private blockedTimer: NodeJS.Timeout | undefined
  private eventId = 0
  private readonly heldBack = new Map<string, HeldBackEvent>()
  private heldBackBytes = 0

  constructor(
    private readonly response: ServerResponse,
    private readonly limits: SseLimits,
  ) {
    response.on('drain', () => this.flush())
    response.once('close', () => clearTimeout(this.blockedTimer))
  }

  private get blocked(): boolean {
    return this.blockedTimer !== undefined
  }

  /** Ended, or its client has left: nothing more can be written. */
  get closed(): boolean {
    return this.response.writableEnded || this.response.destroyed
  }

  /** Bytes the client has not taken yet: in the response's buffers and held back here. */
  get queuedBytes(): number {
    return this.response.writableLength + this.heldBackBytes
  }

  /** A comment line (a heartbeat). Skipped while blocked: it would only add to what is not read. */
  comment(text: string): void {
    if (!this.closed && !this.blocked) this.write(`: ${text}\n\n`)
  }

  /** A clean end, after what is already written: the client reconnects. */
  end(): void {
    if (!this.closed) this.response.end()
  }

  /** Runs `listener` when the stream closes: at once if it has (its client may have left while the request was authenticated). */
  onClose(listener: () => void): void {
    // A response closed already emits no 'close' again.
    if (this.response.closed) listener()
    else this.response.once('close', listener)
  }

  /** Sends the headers and tells the client how soon to reconnect after the stream ends. */
  open(reconnectDelayMs: number): void {
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    this.write(`retry: ${reconnectDelayMs}\n: connected\n\n`)
  }

  /** Writes the event, or while the client is blocked keeps it as the latest one for `key`. */
  send(key: string, event: string, data: string): void {
    if (this.closed) return
    if (!this.blocked) {
      this.writeEvent(event, data)
      return
    }

    this.forget(key)
    const bytes = Buffer.byteLength(data)
    this.heldBack.set(key, {event, data, bytes})
    this.heldBackBytes += bytes
    if (this.heldBackBytes > this.limits.maxPendingBytes)
      this.cutOff(`more than ${this.limits.maxPendingBytes} bytes held back`)
  }

  /** Destroying (not ending) frees the buffers at once: an end would wait behind what is unread. */
  private cutOff(reason: string): void {
    if (this.response.destroyed) return
    this.limits.onCutOff?.(reason)
    this.heldBack.clear()
    this.heldBackBytes = 0
    this.response.destroy()
  }

  /** The socket drained: write what was held back, in the order of the latest changes, until it fills up again. */
  private flush(): void {
    clearTimeout(this.blockedTimer)
    this.blockedTimer = undefined
    for (const [key, {event, data}] of this.heldBack) {
      this.forget(key)
      this.writeEvent(event, data)
      if (this.blocked || this.closed) return
    }
  }

  private forget(key: string): void {
    const previous = this.heldBack.get(key)
    if (!previous) return
    this.heldBack.delete(key)
    this.heldBackBytes -= previous.bytes
  }

  /** Only called while not blocked; a full socket starts the clock on the client. */
  private write(text: string): void {
    if (this.response.write(text)) return
    this.blockedTimer = setTimeout(
      () => this.cutOff(`blocked for more than ${this.limits.maxBlockedMs} ms`),
      this.limits.maxBlockedMs,
    )
  }

  private writeEvent(event: string, data: string): void {
    this.write(`event: ${event}\nid: ${++this.eventId}\ndata: ${data}\n\n`)
  }
}
