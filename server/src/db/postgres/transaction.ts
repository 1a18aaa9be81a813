import type pg from 'pg'

/**
 * Runs `work` in one transaction on one client of the pool: committed when it returns, rolled
 * back when it throws. The work's own error is what the caller sees, even when the rollback
 * fails too (a dropped connection), and such a client is discarded, not handed out again.
 */
/** A pool, or one client of it (inside a transaction of the caller's). */
export type Queryable = Pick<pg.ClientBase, 'query'>

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError
    })
    throw error
  } finally {
    client.release(broken)
  }
}
