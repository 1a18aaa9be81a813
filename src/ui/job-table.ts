/**
 * The `jobs list` table and its footer. On a terminal: short IDs, symbols, colours and bars,
 * fitted to the width. Elsewhere (pipes, CI logs): full IDs, plain text, nothing cut.
 */
import type {Job} from '../jobs/job.js'

import {formatRelative} from '../support/time.js'
import {displayJob, formatJobDuration, formatPercent, formatProgress, shortJobIds} from './job-format.js'
import {formatStatus} from './status-style.js'
import {type ColumnSpec, renderTable} from './table.js'
import {painter, type TerminalOptions} from './terminal.js'

export interface JobTableOptions {
  now?: Date
  /** Adds the USER column (the caller is an admin, or the list holds other people's jobs). */
  showUser: boolean
  terminal: TerminalOptions
}

/**
 * Columns, most important first; `priority` says which go first when the terminal is narrow:
 * DURATION, then CREATED, then PROGRESS (after its bar has become a percent), then USER,
 * REPOSITORY and TYPE. ID and STATUS always stay.
 */
function columns(jobs: readonly Job[], options: JobTableOptions): ColumnSpec<Job>[] {
  const {terminal} = options
  const now = options.now ?? new Date()
  const ids = terminal.tty ? shortJobIds(jobs.map((job) => job.job_id)) : undefined
  const specs: ColumnSpec<Job>[] = [
    {header: 'ID', cell: (job) => ids?.get(job.job_id) ?? job.job_id},
    {header: 'TYPE', cell: (job) => job.job_type, minWidth: 15, priority: 60},
    {header: 'STATUS', cell: (job) => formatStatus(job.status, terminal)},
    {
      header: 'PROGRESS',
      cell: (job) => formatProgress(job, terminal),
      compact: (job) => formatPercent(job.progress),
      priority: 30,
      align: 'right',
    },
    {header: 'REPOSITORY', cell: (job) => job.repository ?? '-', minWidth: 10, priority: 50},
    {header: 'CREATED', cell: (job) => formatRelative(job.created_at, now), priority: 20},
    {header: 'DURATION', cell: (job) => formatJobDuration(job, now), priority: 10, align: 'right'},
  ]
  if (options.showUser) specs.push({header: 'USER', cell: (job) => job.user_id, minWidth: 6, priority: 40})
  return specs
}

/** The table's lines: fitted to the terminal's width on a terminal, never cut elsewhere. */
export function renderJobTable(jobs: readonly Job[], options: JobTableOptions): string[] {
  const {terminal} = options
  const shown = jobs.map((job) => displayJob(job))
  return renderTable(shown, columns(shown, options), {
    width: terminal.tty ? terminal.width : Infinity,
    paint: terminal.color ? painter(true) : undefined,
  })
}

/** Whether to show whose jobs these are: always for an admin, else when someone else's job is listed. */
export function shouldShowUser(
  jobs: readonly Job[],
  caller: undefined | {role: null | string; username: null | string},
): boolean {
  if (caller?.role === 'admin') return true
  return jobs.some((job) => job.user_id !== caller?.username)
}

/** What the listing found, as collectJobs reports it. */
export interface ListOutcome {
  /** Every matching job from `offset` on was fetched. */
  complete: boolean
  offset: number
  /** A real server's paging defect ended the listing before the jobs ran out. */
  serverStoppedEarly: boolean
  shown: number
  /** Matching jobs that exist, at least (the offset included). */
  totalAtLeast: number
  /** The count is exact, not only a lower bound. */
  totalExact: boolean
}

function jobs(count: number): string {
  return count === 1 ? 'job' : 'jobs'
}

/** `21-40` with an offset, else the count. */
function range(outcome: ListOutcome): string {
  if (outcome.offset === 0 || outcome.shown === 0) return String(outcome.shown)
  return `${outcome.offset + 1}-${outcome.offset + outcome.shown}`
}

/**
 * The line under the table: "Showing 20 of 57 jobs", or the warning that the server stopped
 * paging early. The empty listing has its own friendly line.
 */
export function listFooter(outcome: ListOutcome): string {
  if (outcome.serverStoppedEarly) {
    const what =
      outcome.shown === 0
        ? 'No jobs match among those the server would list'
        : `Showing ${range(outcome)} of at least ${outcome.totalAtLeast} ${jobs(outcome.totalAtLeast)}`
    return `${what} — the server stopped paging early (a known limit of CIDX servers); narrow with --status or --since.`
  }

  if (outcome.shown === 0)
    return outcome.offset > 0 ? `No jobs match after the first ${outcome.offset}.` : 'No jobs match.'
  if (outcome.complete) {
    const total = outcome.offset + outcome.shown
    return `Showing ${range(outcome)} of ${total} ${jobs(total)}.`
  }

  const total = Math.max(outcome.totalAtLeast, outcome.offset + outcome.shown)
  const count = outcome.totalExact ? String(total) : `at least ${total}`
  return `Showing ${range(outcome)} of ${count} ${jobs(total)}; --limit N or --all for more.`
}
