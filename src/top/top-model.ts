/**
 * The view model of `jobs top`, without any I/O: the jobs known (from the watch engine's
 * snapshots and the recent listing), which of them the table shows and in what order, the
 * selected job (kept selected while rows move), the scroll position, and the header's counts.
 */
import {isTerminal, type Job} from '../jobs/job.js'
import {DEFAULT_SORT, type JobSort, parseSort, SORT_KEYS, sortJobs} from '../jobs/sort.js'
import {matchesFilter, NO_FILTER, type TopFilter} from './top-filter.js'

/** Ended jobs kept beyond those of the latest recent listing: the newest, so memory stays bounded in a long session. */
export const ENDED_JOBS_KEPT = 500

export interface TopCounts {
  /** Jobs per status among those known (filter and active/all aside). */
  byStatus: Map<string, number>
  /** Rows the table has under the current filter and active/all choice. */
  shown: number
}

export class TopModel {
  filter: TopFilter
  /** Every job known (active and all); `all` shows the ended ones too. */
  private readonly jobs = new Map<string, Job>()
  private rowCache: Job[] | undefined
  /** The first row shown. */
  private scrollTop = 0
  private selected: string | undefined
  /** Where the selected row was last: where the selection stays when its job leaves the rows. */
  private selectedIndex = 0
  private showAllValue: boolean
  private sortValue: JobSort

  constructor(options: {filter?: TopFilter; showAll?: boolean; sort?: JobSort} = {}) {
    this.filter = options.filter ?? NO_FILTER
    this.showAllValue = options.showAll ?? false
    this.sortValue = options.sort ?? parseSort(DEFAULT_SORT)
  }

  /** The selected job; before anything was selected, the row the selection starts on. */
  get selectedJob(): Job | undefined {
    if (this.selected !== undefined) return this.jobs.get(this.selected)
    const rows = this.rows()
    return rows[Math.min(this.selectedIndex, rows.length - 1)]
  }

  get showAll(): boolean {
    return this.showAllValue
  }

  get sort(): JobSort {
    return this.sortValue
  }

  /** What the header counts. */
  counts(): TopCounts {
    const byStatus = new Map<string, number>()
    for (const job of this.jobs.values()) byStatus.set(job.status, (byStatus.get(job.status) ?? 0) + 1)
    return {byStatus, shown: this.rows().length}
  }

  /** The next sort key, each in the direction that reads best first (newest, furthest along, longest). */
  cycleSort(): void {
    const next = SORT_KEYS[(SORT_KEYS.indexOf(this.sortValue.key) + 1) % SORT_KEYS.length]
    this.sortValue = {key: next, descending: ['created', 'duration', 'progress'].includes(next)}
    this.changed()
  }

  /** A job the server no longer knows. */
  forget(jobId: string): void {
    if (this.jobs.delete(jobId)) this.changed()
  }

  /** Moves the selection by `delta` rows (negative: up), stopping at either end. */
  move(delta: number): void {
    const rows = this.rows()
    if (rows.length === 0) return
    const index = Math.min(rows.length - 1, Math.max(0, this.indexOfSelected(rows) + delta))
    this.select(rows, index)
  }

  /** The rows in order: the filter applied, ended jobs only when showing all. */
  rows(): Job[] {
    this.rowCache ??= sortJobs(
      [...this.jobs.values()].filter(
        (job) => (this.showAllValue || !isTerminal(job.status)) && matchesFilter(job, this.filter),
      ),
      this.sortValue,
    )
    return this.rowCache
  }

  /** Applies a new filter and selects its first match. */
  setFilter(filter: TopFilter): void {
    this.filter = filter
    this.changed()
    this.selected = undefined
    this.select(this.rows(), 0)
  }

  /** Replaces what the latest recent listing said: its jobs are taken in, and ended jobs beyond it trimmed to ENDED_JOBS_KEPT. */
  takeListing(jobs: readonly Job[]): void {
    for (const job of jobs) this.jobs.set(job.job_id, job)
    const listed = new Set(jobs.map((job) => job.job_id))
    const ended = [...this.jobs.values()].filter((job) => isTerminal(job.status) && !listed.has(job.job_id))
    const trimmed = sortJobs(ended, parseSort(DEFAULT_SORT)).slice(ENDED_JOBS_KEPT)
    for (const job of trimmed) if (job.job_id !== this.selected) this.jobs.delete(job.job_id)
    this.changed()
  }

  toggleAll(): void {
    this.showAllValue = !this.showAllValue
    this.changed()
  }

  /** A job's latest snapshot. */
  upsert(job: Job): void {
    this.jobs.set(job.job_id, job)
    this.changed()
  }

  /**
   * The rows a table of `height` rows shows, scrolled so the selected row is in view, and which
   * of them is selected. Without a selection (or when its job left the rows), the row at the
   * same place is selected.
   */
  window(height: number): {rows: Job[]; selected: number} {
    const rows = this.rows()
    if (rows.length === 0) return {rows: [], selected: -1}
    const index = this.indexOfSelected(rows)
    this.select(rows, index)
    const room = Math.max(1, height)
    if (index < this.scrollTop) this.scrollTop = index
    if (index >= this.scrollTop + room) this.scrollTop = index - room + 1
    this.scrollTop = Math.max(0, Math.min(this.scrollTop, rows.length - room))
    return {rows: rows.slice(this.scrollTop, this.scrollTop + room), selected: index - this.scrollTop}
  }

  private changed(): void {
    this.rowCache = undefined
  }

  private indexOfSelected(rows: Job[]): number {
    const index = this.selected === undefined ? -1 : rows.findIndex((job) => job.job_id === this.selected)
    return index === -1 ? Math.min(this.selectedIndex, rows.length - 1) : index
  }

  private select(rows: Job[], index: number): void {
    this.selectedIndex = index
    this.selected = rows[index]?.job_id
  }
}
