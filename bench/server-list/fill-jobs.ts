import type {ServerHandle} from '@cidx/local-server'

import {randomUUID} from 'node:crypto'

/** The user who owns HEAVY_SHARE of all jobs; the rest is spread over OTHER_USERS users. */
export const HEAVY_USER = 'heavy'
const HEAVY_SHARE = 0.1
const OTHER_USERS = 99
const ROWS_PER_STATEMENT = 200
const ROWS_PER_TRANSACTION = 50_000

/** Status mix of the stored jobs: mostly finished, few active (the filter must not scan for them). */
const STATUS_MIX: [string, number][] = [
  ['completed', 0.7],
  ['failed', 0.1],
  ['cancelled', 0.06],
  ['completed_partial', 0.1],
  ['pending', 0.03],
  ['running', 0.01],
]
const OPERATIONS = [
  'sync_repository',
  'activate_repository',
  'add_golden_repo',
  'global_repo_refresh',
  'deactivate_repository',
]
const COLUMNS = [
  'job_id',
  'operation_type',
  'status',
  'created_us',
  'started_us',
  'completed_us',
  'updated_us',
  'progress',
  'result',
  'error',
  'username',
  'repository',
]

function pickStatus(random: number): string {
  let cumulative = 0
  for (const [status, share] of STATUS_MIX) {
    cumulative += share
    if (random < cumulative) return status
  }

  return 'completed'
}

/** Fills the jobs table with `size` rows: multi-row INSERTs, many per transaction. */
export function fillJobs(server: ServerHandle, size: number): void {
  const {db} = server.testing
  // Rows by the hundred thousand go straight into SQLite: this benchmark measures the single server.
  if (!db) throw new Error('fillJobs writes SQLite directly: start a single server, not a cluster node')
  const placeholders = `(${COLUMNS.map(() => '?').join(', ')})`
  const insertMany = db.prepare(
    `INSERT INTO jobs (${COLUMNS.join(', ')}) VALUES ${Array.from({length: ROWS_PER_STATEMENT}).fill(placeholders).join(', ')}`,
  )
  const nowUs = Date.now() * 1000
  const spanUs = 30 * 24 * 3600 * 1_000_000
  const rowValues = (n: number): unknown[] => {
    const createdUs = nowUs - spanUs + Math.floor((spanUs * n) / size)
    const status = pickStatus(Math.random())
    const finished = status !== 'pending' && status !== 'running'
    const username =
      n % Math.round(1 / HEAVY_SHARE) === 0 ? HEAVY_USER : `user-${String(n % OTHER_USERS).padStart(2, '0')}`
    const alias = `repo-${Math.floor(n / 7) % 20}`
    return [
      randomUUID(),
      OPERATIONS[n % OPERATIONS.length],
      status,
      createdUs,
      status === 'pending' ? null : createdUs + 1_000_000,
      finished ? createdUs + 30_000_000 : null,
      createdUs + 2_000_000,
      finished ? 100 : status === 'running' ? 40 : 0,
      JSON.stringify({alias, success: status !== 'failed'}),
      status === 'failed' ? 'git fetch failed' : null,
      username,
      alias,
    ]
  }

  const insertChunk = db.transaction((start: number, end: number) => {
    for (let first = start; first < end; first += ROWS_PER_STATEMENT) {
      const values: unknown[] = []
      for (let n = first; n < first + ROWS_PER_STATEMENT; n++) values.push(...rowValues(n))
      insertMany.run(values)
    }
  })
  for (let start = 0; start < size; start += ROWS_PER_TRANSACTION)
    insertChunk(start, Math.min(size, start + ROWS_PER_TRANSACTION))
  db.pragma('optimize')
}
