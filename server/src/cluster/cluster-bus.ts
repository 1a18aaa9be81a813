import pg from 'pg'

import type {Queryable} from '../db/postgres/transaction.js'

/** A job changed (insert, claim, progress, end): the wire job, or only its `job_id` when it was too big. */
export const JOB_EVENTS_CHANNEL = 'cidx_job_events'
/** A cancel was asked for on some node: the payload is the job id. */
export const JOB_CANCEL_CHANNEL = 'cidx_job_cancel'
/** A job was queued: any node with a free worker may claim it. No payload. */
export const JOBS_PENDING_CHANNEL = 'cidx_jobs_pending'

const CHANNELS = [JOB_EVENTS_CHANNEL, JOB_CANCEL_CHANNEL, JOBS_PENDING_CHANNEL] as const

/** PostgreSQL refuses a payload of 8000 bytes or more; the margin leaves room for what grows later. */
export const MAX_EVENT_BYTES = 7900
const FIRST_RETRY_MS = 100
const LAST_RETRY_MS = 2000

/** What an event carries: at least the job id; the rest of the wire job when it fitted. */
export type JobEventPayload = Record<string, unknown> & {job_id: string}

export interface ClusterBusOptions {
  /** The listening connection's `application_name`, so that an operator (or a test) can tell it in `pg_stat_activity`. */
  applicationName?: string
  /** Where everything that goes wrong in the background goes: drops, failed reconnects, handlers' throws. */
  onError?: (error: Error) => void
}

type Handler<A extends unknown[]> = (...args: A) => Promise<void> | void

/**
 * A node's one listening connection to the cluster's notifications, and the way it sends them.
 *
 * Events: a payload of `MAX_EVENT_BYTES` or more (as JSON) is sent as `{job_id}` alone, and a
 * receiver that gets an event with no `status` must re-read the job's row itself.
 *
 * When the listening connection drops (PostgreSQL restarted, the backend was terminated, the
 * network broke), the bus connects again with a back-off of 100 ms doubling to 2 s, listens
 * again, then calls the `onResync` handlers: notifications sent while it was away are lost, so
 * the node re-reads what it may have missed. Nothing here throws into the process: background
 * errors go to `onError`. The `publish*` calls do reject, to their caller.
 */
export class ClusterBus {
  private client: pg.Client | undefined
  private closed = false
  private readonly handlers = {
    cancel: new Set<Handler<[string]>>(),
    event: new Set<Handler<[JobEventPayload]>>(),
    pending: new Set<Handler<[]>>(),
    resync: new Set<Handler<[number]>>(),
  }
  /** When the listening connection was last lost (epoch µs). */
  private lostAtUs = 0
  private pid: number | undefined
  private retryTimer: NodeJS.Timeout | undefined

  private constructor(
    private readonly url: string,
    private readonly pool: Queryable,
    private readonly onError: (error: Error) => void,
    private readonly applicationName: string,
  ) {}

  /** Connects and listens; rejects when the first connection fails (a node should not start so). */
  static async open(
    url: string,
    pool: Queryable,
    {onError = () => {}, applicationName = 'cidx-listen'}: ClusterBusOptions = {},
  ): Promise<ClusterBus> {
    const bus = new ClusterBus(url, pool, onError, applicationName)
    await bus.connect()
    return bus
  }

  /** The listening backend's process id (for `pg_stat_activity`); undefined while reconnecting. */
  get backendPid(): number | undefined {
    return this.pid
  }

  /** Stops listening for good: no reconnect, no more handler calls. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    const {client} = this
    this.client = undefined
    this.pid = undefined
    await client?.end().catch((error: unknown) => this.report(error))
  }

  onCancel(fn: Handler<[string]>): () => void {
    return this.subscribe(this.handlers.cancel, fn)
  }

  onEvent(fn: Handler<[JobEventPayload]>): () => void {
    return this.subscribe(this.handlers.event, fn)
  }

  onPending(fn: Handler<[]>): () => void {
    return this.subscribe(this.handlers.pending, fn)
  }

  /**
   * Called after each reconnect (not after the first connect) with the time (epoch µs) the
   * listening connection was lost: re-read what may have changed since.
   */
  onResync(fn: Handler<[number]>): () => void {
    return this.subscribe(this.handlers.resync, fn)
  }

  async publishCancel(jobId: string, db: Queryable = this.pool): Promise<void> {
    await notify(db, JOB_CANCEL_CHANNEL, jobId)
  }

  /**
   * Sends a job's event. Given `db`, a client inside the caller's transaction, the notification
   * is delivered only once that transaction commits, so no node sees a state it cannot read yet.
   */
  async publishEvent<T extends {job_id: string}>(payload: T, db: Queryable = this.pool): Promise<void> {
    const json = JSON.stringify(payload)
    const fits = Buffer.byteLength(json, 'utf8') < MAX_EVENT_BYTES
    await notify(db, JOB_EVENTS_CHANNEL, fits ? json : JSON.stringify({job_id: payload.job_id}))
  }

  async publishPending(db: Queryable = this.pool): Promise<void> {
    await notify(db, JOBS_PENDING_CHANNEL, '')
  }

  private call<A extends unknown[]>(handlers: Set<Handler<A>>, ...args: A): void {
    for (const fn of handlers) {
      try {
        const done = fn(...args)
        if (done) done.catch((error: unknown) => this.report(error))
      } catch (error) {
        this.report(error)
      }
    }
  }

  /** One connection that listens on every channel; it becomes the bus's only once all is set up. */
  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      keepAlive: true,
      application_name: this.applicationName,
    })
    // Attached before connecting: an error event without a listener would crash the process.
    client.on('error', (error) => {
      this.report(error)
      this.lost(client)
    })
    client.on('end', () => this.lost(client))
    client.on('notification', (message) => this.dispatch(message.channel, message.payload ?? ''))
    try {
      await client.connect()
      for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`)
      const backend = await client.query<{pid: number}>('SELECT pg_backend_pid() AS pid')
      if (this.closed) throw new Error('the bus was closed while it connected')
      this.client = client
      this.pid = backend.rows[0].pid
    } catch (error) {
      await client.end().catch(() => {})
      throw error
    }
  }

  private dispatch(channel: string, payload: string): void {
    if (this.closed) return
    switch (channel) {
      case JOB_CANCEL_CHANNEL: {
        this.call(this.handlers.cancel, payload)
        break
      }

      case JOB_EVENTS_CHANNEL: {
        let event: JobEventPayload
        try {
          event = JSON.parse(payload) as JobEventPayload
        } catch (error) {
          this.report(error)
          return
        }

        this.call(this.handlers.event, event)
        break
      }

      case JOBS_PENDING_CHANNEL: {
        this.call(this.handlers.pending)
        break
      }
    }
  }

  /** The listening connection is gone (once per connection: its error and its end both land here). */
  private lost(client: pg.Client): void {
    if (this.closed || client !== this.client) return
    this.client = undefined
    this.pid = undefined
    this.lostAtUs = Date.now() * 1000
    client.end().catch(() => {})
    this.retry(FIRST_RETRY_MS)
  }

  private report(error: unknown): void {
    try {
      this.onError(error instanceof Error ? error : new Error(String(error)))
    } catch {
      // An onError that throws has nowhere further to report to; the bus carries on.
    }
  }

  private retry(delayMs: number): void {
    this.retryTimer = setTimeout(async () => {
      try {
        await this.connect()
      } catch (error) {
        if (this.closed) return
        this.report(error)
        this.retry(Math.min(delayMs * 2, LAST_RETRY_MS))
        return
      }

      this.call(this.handlers.resync, this.lostAtUs)
    }, delayMs)
  }

  private subscribe<A extends unknown[]>(set: Set<Handler<A>>, fn: Handler<A>): () => void {
    set.add(fn)
    return () => set.delete(fn)
  }
}

async function notify(db: Queryable, channel: string, payload: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, payload])
}
