import type pg from 'pg'

import type {Migration} from '../db/postgres/migrate.js'

/** One row per node of the cluster: who it is, where it answers, and when it last beat. */
export const NODE_MIGRATIONS: readonly Migration[] = [
  {
    version: 40,
    sql: `
CREATE TABLE nodes (
  name TEXT PRIMARY KEY,
  url TEXT,
  started_us BIGINT NOT NULL,
  heartbeat_us BIGINT NOT NULL
);
`,
  },
]

/**
 * Every beat and every staleness test reads the database's clock, never a node's own: with one
 * clock for all, skew between hosts cannot make a live node look dead (or a dead one alive).
 */
export const DB_NOW_US = `(extract(epoch FROM clock_timestamp()) * 1000000)::bigint`

/** Any id will do as long as it is this module's alone (the migrations hold 7_164_180_301). */
const SWEEP_LOCK = 7_164_180_340

/** A start refused because a live node (one that beat within the timeout) holds the name. */
export class NodeNameInUseError extends Error {
  constructor(readonly nodeName: string) {
    super(`Node name ${nodeName} is in use`)
    this.name = 'NodeNameInUseError'
  }
}

export interface NodeRegistryOptions {
  /** Default 5000. */
  heartbeatMs?: number
  name: string
  /** Where a failed beat, or a failed `onBeat`, is reported by the timer. Default: nowhere. */
  onError?: (error: Error) => void
  /** A node whose beat is older than this is dead. Default 30000. */
  timeoutMs?: number
}

export interface NodeRow {
  heartbeat_us: number
  name: string
  /** Whether its beat is older than the timeout (the node is taken for dead). */
  stale: boolean
  started_us: number
  url: null | string
}

/** What `withSweepLock` did: `ran` is false when another caller held the lock. */
export type SweepOutcome<T> = {ran: false} | {ran: true; value: T}

/**
 * This node's row in `nodes`: taken at start, kept fresh by a heartbeat timer, dropped at a clean
 * shutdown. Its `started_us` marks this life of the name, so that a node that was taken for dead
 * and replaced neither beats for nor deletes its successor's row.
 */
export class NodeRegistry {
  readonly heartbeatMs: number
  readonly name: string
  readonly timeoutMs: number
  private inFlight: Promise<void> | undefined
  private readonly onError: (error: Error) => void
  private startedUs: number | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly pool: pg.Pool,
    {name, heartbeatMs = 5000, timeoutMs = 30_000, onError = () => {}}: NodeRegistryOptions,
  ) {
    this.name = name
    this.heartbeatMs = heartbeatMs
    this.timeoutMs = timeoutMs
    this.onError = onError
  }

  /** Beats once; false when the row is no longer this life's (deleted, or taken over meanwhile). */
  async beat(): Promise<boolean> {
    const beaten = await this.pool.query(
      `UPDATE nodes SET heartbeat_us = ${DB_NOW_US} WHERE name = $1 AND started_us = $2`,
      [this.name, this.ownStartedUs()],
    )
    return beaten.rowCount === 1
  }

  /**
   * Takes the name, or throws `NodeNameInUseError` while a live node holds it. One statement, so
   * two nodes starting with one name at once cannot both win: the loser's upsert meets the
   * winner's fresh row. Returns true when a stale row of this name was taken over: the name's
   * previous life died without releasing it, and its leftovers are this node's to clean up.
   */
  async claim(url: null | string): Promise<boolean> {
    const claimed = await this.pool.query<{started_us: number; took_over: boolean}>(
      `WITH prior AS (SELECT name FROM nodes WHERE name = $1), now AS (SELECT ${DB_NOW_US} AS us)
       INSERT INTO nodes (name, url, started_us, heartbeat_us)
         SELECT $1, $2, us, us FROM now
       ON CONFLICT (name) DO UPDATE
         SET url = EXCLUDED.url, started_us = EXCLUDED.started_us, heartbeat_us = EXCLUDED.heartbeat_us
         WHERE nodes.heartbeat_us < EXCLUDED.heartbeat_us - $3
       RETURNING started_us, EXISTS (SELECT 1 FROM prior) AS took_over`,
      [this.name, url, this.timeoutMs * 1000],
    )
    const row = claimed.rows[0]
    if (!row) throw new NodeNameInUseError(this.name)
    this.startedUs = row.started_us
    return row.took_over
  }

  /** Every node's row, by name, each marked stale or not. */
  async list(): Promise<NodeRow[]> {
    const rows = await this.pool.query<NodeRow>(
      `SELECT name, url, started_us, heartbeat_us, heartbeat_us < ${DB_NOW_US} - $1 AS stale FROM nodes ORDER BY name`,
      [this.timeoutMs * 1000],
    )
    return rows.rows
  }

  /** Drops this node's row at a clean shutdown, so the name is free at once (not after the timeout). */
  async release(): Promise<void> {
    await this.stop()
    if (this.startedUs === undefined) return
    await this.pool.query('DELETE FROM nodes WHERE name = $1 AND started_us = $2', [this.name, this.startedUs])
    this.startedUs = undefined
  }

  /** Records where this node listens (known only once it does), for health's node list. */
  async setUrl(url: string): Promise<void> {
    await this.pool.query('UPDATE nodes SET url = $1 WHERE name = $2 AND started_us = $3', [
      url,
      this.name,
      this.ownStartedUs(),
    ])
  }

  /** The names of the nodes taken for dead: beat older than the timeout. */
  async staleNodes(): Promise<string[]> {
    const rows = await this.pool.query<{name: string}>(
      `SELECT name FROM nodes WHERE heartbeat_us < ${DB_NOW_US} - $1 ORDER BY name`,
      [this.timeoutMs * 1000],
    )
    return rows.rows.map((row) => row.name)
  }

  /**
   * Beats every `heartbeatMs`, then calls `onBeat` (where the node sweeps dead nodes' jobs). The
   * next beat is timed from the end of this one, so a slow sweep never overlaps the next. The
   * timer is unref'd: it never keeps a process alive by itself. Errors go to `onError`.
   */
  start(onBeat: () => Promise<void> | void = () => {}): void {
    this.ownStartedUs()
    if (this.timer) return
    const tick = () => {
      this.inFlight = (async () => {
        try {
          await this.beat()
          await onBeat()
        } catch (error) {
          this.onError(error instanceof Error ? error : new Error(String(error)))
        }
      })()
      void this.inFlight.then(() => {
        this.inFlight = undefined
        if (this.timer) schedule()
      })
    }

    const schedule = () => {
      this.timer = setTimeout(tick, this.heartbeatMs).unref()
    }

    schedule()
  }

  /** Stops the timer, after the beat (and sweep) in progress if there is one. */
  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.inFlight
  }

  /**
   * Runs `fn` in a transaction holding the sweep lock, or not at all when another node holds it:
   * one node at a time sweeps, and the others do not wait (they try again at their next beat).
   * `fn` gets the transaction's client, so what it writes commits (or rolls back) with the lock.
   */
  async withSweepLock<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<SweepOutcome<T>> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const locked = await client.query<{got: boolean}>('SELECT pg_try_advisory_xact_lock($1) AS got', [SWEEP_LOCK])
      if (!locked.rows[0].got) {
        await client.query('ROLLBACK')
        return {ran: false}
      }

      const value = await fn(client)
      await client.query('COMMIT')
      return {ran: true, value}
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  private ownStartedUs(): number {
    if (this.startedUs === undefined) throw new Error(`Node ${this.name} has not claimed its name`)
    return this.startedUs
  }
}
