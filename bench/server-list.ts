/**
 * `npm run bench:server`: how fast the local server answers the first page of `GET /api/jobs` and
 * the 7-day statistics of `GET /api/jobs/stats` with 10 k, 100 k and 1 M jobs stored, and how fast
 * a running job is cancelled.
 *
 * Everything goes over real HTTP on loopback (keep-alive fetch, client and server in this
 * process), so the figures are round trips: an upper bound of the server-side time.
 * Options: `--sizes 10000,100000` (default 10000,100000,1000000), `--requests 400`.
 * Writes bench/reports/server-list.md and prints the same tables.
 */

import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {benchCancellation} from './server-list/cancellation.js'
import {benchSize, type Memory, type Row} from './server-list/list-latency.js'
import {renderReport} from './server-list/report.js'

/**
 * Each size runs in a child process of its own, so that its memory figures start from a clean
 * process and are not inflated by the previous, smaller run.
 */
function benchSizeInChild(size: number, requests: number): {memory: Memory; rows: Row[]} {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--one-size', String(size), '--requests', String(requests)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  if (child.status !== 0) throw new Error(`the run for ${size} jobs failed (exit ${child.status})`)
  return JSON.parse(child.stdout) as {memory: Memory; rows: Row[]}
}

async function main(): Promise<void> {
  const {values} = parseArgs({
    options: {sizes: {type: 'string'}, requests: {type: 'string'}, 'one-size': {type: 'string'}},
  })
  const requests = Number(values.requests ?? 400)
  if (values['one-size']) {
    process.stdout.write(JSON.stringify(await benchSize(Number(values['one-size']), requests)))
    return
  }

  const sizes = (values.sizes ?? '10000,100000,1000000').split(',').map(Number)
  const rows: Row[] = []
  const memory: Memory[] = []
  for (const size of sizes) {
    console.error(`filling and measuring ${size.toLocaleString('en')} jobs...`)
    const result = benchSizeInChild(size, requests)
    rows.push(...result.rows)
    memory.push(result.memory)
  }

  console.error('measuring cancellation...')
  const cancellation = await benchCancellation()

  const report = renderReport({rows, memory, cancellation, requests})
  mkdirSync(new URL('reports/', import.meta.url), {recursive: true})
  writeFileSync(new URL('reports/server-list.md', import.meta.url), report)
  console.log(report)
}

await main()
