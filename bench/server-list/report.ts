import {cpus} from 'node:os'

import type {CancelTimings} from './cancellation.js'
import type {Memory, Row} from './list-latency.js'

import {percentile} from './http.js'
import {WARMUP_REQUESTS} from './list-latency.js'

/** Everything one run measured, and how many timed requests each latency row has. */
export interface Measurements {
  cancellation: CancelTimings[]
  memory: Memory[]
  requests: number
  rows: Row[]
}

const fmt = (ms: number) => ms.toFixed(2)

/** The Markdown report: how it was measured, then the latency, memory and cancellation tables. */
export function renderReport({rows, memory, cancellation, requests}: Measurements): string {
  const lines = [
    '# Local server: first page of `GET /api/jobs`, `GET /api/jobs/stats` and cancellation',
    '',
    `Command: \`npm run bench:server\` (bench/server-list.ts). Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}),`,
    `${new Date().toISOString().slice(0, 10)}. Each figure is a full HTTP round trip over loopback (keep-alive fetch, client and`,
    `server in one process), so it is an upper bound of the server-side time. ${requests} timed requests per row after ${WARMUP_REQUESTS} warm-up`,
    `requests; page size 50. Jobs: the "heavy" user owns 10 %, 99 other users share the rest; statuses 70 % completed,`,
    '10 % failed, 10 % completed_partial, 6 % cancelled, 3 % pending, 1 % running.',
    '',
    '## First page and statistics latency (ms; a stats row counts the jobs of its window)',
    '',
    '| jobs stored | request | p50 | p95 | max | total (stats: jobs counted) |',
    '|---:|---|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.size.toLocaleString('en')} | ${row.scenario} | ${fmt(row.p50)} | ${fmt(row.p95)} | ${fmt(row.max)} | ${row.total.toLocaleString('en')} |`,
    ),
    '',
    '## Memory (RSS of the process holding server and client; one fresh process per size)',
    '',
    '| jobs stored | fill time | RSS before fill | RSS after fill | RSS after all requests | database file |',
    '|---:|---:|---:|---:|---:|---:|',
    ...memory.map(
      (entry) =>
        `| ${entry.size.toLocaleString('en')} | ${entry.fillSeconds.toFixed(1)} s | ${entry.rssStartMb} MB | ${entry.rssFilledMb} MB | ${entry.rssAfterRequestsMb} MB | ${entry.dbFileMb} MB |`,
    ),
    '',
    '## Cancellation of a running job (ms, DELETE until the job reads `cancelled` and none of its processes is alive)',
    '',
    '| phase when cancelled | runs | p50 | max |',
    '|---|---:|---:|---:|',
    ...cancellation.map(
      (entry) =>
        `| ${entry.phase === 'clone' ? 'git clone (git + git-remote-http running)' : 'indexing (between batches)'} | ${entry.timings.length} | ${fmt(percentile(entry.timings, 0.5))} | ${fmt(entry.timings.at(-1) as number)} |`,
    ),
    '',
  ]
  return lines.join('\n')
}
