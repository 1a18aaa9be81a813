/**
 * How `jobs cancel` shows what it does:
 * - the selection, as a small table, before anything happens;
 * - tty: listr2, one task per job, its title moving from "cancelling" to "waiting (running)"
 *   to the outcome, led by the mark of the job's status from the one status table (listr2's own
 *   icons and spinner are off); listr2 is imported only here, and only on a terminal;
 * - plain: one line per job when its outcome is known (CI logs, pipes), no ANSI codes;
 * - then one summary line. Under --json the command prints the results instead.
 * The server's texts (job fields, its answers to the cancel) are escaped on the way in.
 */

import type {Job} from '../jobs/job.js'
import type {CancelOutcome, CancelResult, CancelUpdate} from './cancel.js'

import {formatRelative} from '../support/time.js'
import {displayJob, type RenderOptions, shortJobIds} from '../ui/job-format.js'
import {safeText} from '../ui/safe-text.js'
import {formatStatus, statusMark} from '../ui/status-style.js'
import {renderTable} from '../ui/table.js'
import {painter} from '../ui/terminal.js'
import {truncate} from '../ui/text-width.js'

export interface Sink {
  write(text: string): unknown
}

export interface CancelRenderOptions {
  color: boolean
  out: Sink
  /** A terminal: short IDs, fitting to the width. */
  tty: boolean
  width: number
}

export interface CancelRenderer {
  /** After the last outcome, or when waiting was stopped: finishes the output. */
  close(): Promise<void>
  update(update: CancelUpdate): void
}

/** The IDs to show: short (still unique among these jobs) on a terminal, full elsewhere so they can be copied into scripts. */
function displayIds(jobs: readonly Job[], tty: boolean): Map<string, string> {
  return tty ? shortJobIds(jobs.map((job) => job.job_id)) : new Map(jobs.map((job) => [job.job_id, job.job_id]))
}

/** The table of the jobs about to be cancelled. */
export function formatSelection(selected: readonly Job[], options: Omit<CancelRenderOptions, 'out'>): string[] {
  const jobs = selected.map((job) => displayJob(job))
  const ids = displayIds(jobs, options.tty)
  const render: RenderOptions = {color: options.color, bars: options.tty && options.color}
  const table = renderTable(
    jobs,
    [
      {header: 'ID', cell: (job) => ids.get(job.job_id)!},
      {header: 'TYPE', cell: (job) => job.job_type, minWidth: 8, priority: 3},
      {header: 'STATUS', cell: (job) => formatStatus(job.status, render)},
      {header: 'REPOSITORY', cell: (job) => job.repository ?? '-', minWidth: 8, priority: 2},
      {header: 'USER', cell: (job) => job.user_id, priority: 1},
      {header: 'CREATED', cell: (job) => formatRelative(job.created_at), priority: 0},
    ],
    {width: options.tty ? options.width : Infinity, paint: painter(options.color)},
  )
  return [`${jobs.length} job(s) to cancel:`, ...table]
}

const OUTCOME_LABELS: Readonly<Record<CancelOutcome, string>> = {
  cancelled: 'cancelled',
  requested: 'cancel requested',
  already_finished: 'already finished',
  not_found: 'not found or not yours',
  timed_out: 'timed out',
  failed: 'not cancelled',
  error: 'error',
}

/** `cancelled in 0.12 s`, `already finished (completed)`, `timed out (still running)`... */
export function outcomeText(result: CancelResult): string {
  const label = OUTCOME_LABELS[result.outcome]
  switch (result.outcome) {
    case 'already_finished':
    case 'failed': {
      return result.final_status ? `${label} (${result.final_status})` : label
    }

    case 'cancelled': {
      return result.final_status === 'cancelled'
        ? `${label} in ${result.seconds} s`
        : `${label} in ${result.seconds} s (reported as ${result.final_status})`
    }

    case 'timed_out': {
      return `${label} (still ${result.final_status} after ${result.seconds} s)`
    }

    default: {
      return label
    }
  }
}

/** `2 cancelled, 1 already finished.` */
export function summaryLine(results: readonly CancelResult[]): string {
  const counts = new Map<CancelOutcome, number>()
  for (const result of results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1)
  return `${[...counts].map(([outcome, count]) => `${count} ${OUTCOME_LABELS[outcome]}`).join(', ')}.`
}

/** A result as people are shown it: the server's status and words escaped. */
function displayResult(result: CancelResult): CancelResult {
  const finalStatus = result.final_status === null ? null : safeText(result.final_status)
  const message = result.message === null ? null : safeText(result.message)
  return {...result, job_id: safeText(result.job_id), final_status: finalStatus, message}
}

/** Jobs by their own ID, each in the form people are shown. */
function displayJobsById(jobs: readonly Job[]): Map<string, Job> {
  return new Map(jobs.map((job) => [job.job_id, displayJob(job)]))
}

function jobLabel(job: Job, id: string): string {
  return [id, job.job_type, job.repository ?? ''].filter(Boolean).join('  ')
}

// ---- plain --------------------------------------------------------------------------------

class PlainRenderer implements CancelRenderer {
  private readonly jobs: Map<string, Job>
  private readonly results: CancelResult[] = []

  constructor(
    jobs: readonly Job[],
    private readonly options: CancelRenderOptions,
  ) {
    this.jobs = displayJobsById(jobs)
  }

  async close(): Promise<void> {
    if (this.results.length > 0) this.options.out.write(`${summaryLine(this.results)}\n`)
  }

  update(update: CancelUpdate): void {
    if (update.stage !== 'done') return
    const job = this.jobs.get(update.result.job_id)
    const result = displayResult(update.result)
    this.results.push(result)
    const label = job ? jobLabel(job, job.job_id) : result.job_id
    const words = result.message === null ? '' : `: ${result.message}`
    this.options.out.write(`${label}  ${outcomeText(result)}${words}\n`)
  }
}

// ---- tty (listr2) -------------------------------------------------------------------------

type Listr2 = typeof import('listr2')

interface TaskHandle {
  skip(message?: string): void
  title: string
}

interface JobTask {
  done: Promise<CancelResult | undefined>
  finish(result?: CancelResult): void
  id: string
  job: Job
  state: string
  /** The job's status as last heard: its mark leads the title. */
  status: string
  wrapper?: TaskHandle
}

/** listr2's icons, every one blank: a task's title starts with the mark of its job's status instead. */
function noIcons(levels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.values(levels).map((level) => [level, '']))
}

class TtyRenderer implements CancelRenderer {
  private readonly results: CancelResult[] = []
  private readonly running: Promise<unknown>
  private readonly tasks = new Map<string, JobTask>()

  constructor(
    {Listr, ListrDefaultRendererLogLevels, ListrLogLevels}: Listr2,
    jobs: readonly Job[],
    private readonly options: CancelRenderOptions,
  ) {
    const shown = displayJobsById(jobs)
    const ids = displayIds([...shown.values()], true)
    for (const [jobId, job] of shown) this.tasks.set(jobId, this.newTask(job, ids.get(job.job_id)!))
    const list = new Listr(
      [...this.tasks.values()].map((task) => ({
        title: this.titleOf(task),
        task: async (_context: unknown, wrapper: TaskHandle) => {
          task.wrapper = wrapper
          this.retitle(task)
          const result = await task.done
          this.settle(task, wrapper, result)
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        // Ctrl-C is the command's: listr2's own handler would exit with the tasks half drawn.
        registerSignalListeners: false,
        // lazy: no spinner; the title redraws as it changes.
        rendererOptions: {
          collapseErrors: false,
          showErrorMessage: true,
          formatOutput: 'truncate',
          lazy: true,
          icon: noIcons(ListrDefaultRendererLogLevels),
        },
        fallbackRendererOptions: {icon: noIcons(ListrLogLevels)},
      },
    )
    this.running = list.run()
  }

  async close(): Promise<void> {
    for (const task of this.tasks.values()) task.finish()
    await this.running
    if (this.results.length > 0) this.options.out.write(`${summaryLine(this.results)}\n`)
  }

  update(update: CancelUpdate): void {
    const task = this.tasks.get(update.job_id)
    if (!task) return
    if (update.stage === 'sending') task.state = 'cancelling...'
    else if (update.stage === 'waiting') {
      task.status = safeText(update.status)
      task.state = `waiting for it to stop (${task.status})...`
    } else {
      const result = displayResult(update.result)
      this.results.push(result)
      task.status = result.final_status ?? task.status
      task.finish(result)
      return
    }

    this.retitle(task)
  }

  private newTask(job: Job, id: string): JobTask {
    let resolve!: (result: CancelResult | undefined) => void
    const done = new Promise<CancelResult | undefined>((settle) => {
      resolve = settle
    })
    let finished = false
    return {
      job,
      id,
      state: 'queued',
      status: job.status,
      done,
      finish(result) {
        if (finished) return
        finished = true
        resolve(result)
      },
    }
  }

  private retitle(task: JobTask): void {
    if (task.wrapper) task.wrapper.title = this.titleOf(task)
  }

  /** Led by the mark of the status the job ended in (or was last seen in); a failure's message shown under it. */
  private settle(task: JobTask, wrapper: TaskHandle, result: CancelResult | undefined): void {
    if (!result) return wrapper.skip(this.titleOf(task, 'stopped waiting (the cancel request stands)'))
    wrapper.title = this.titleOf(task, outcomeText(result))
    if (result.outcome === 'cancelled' || result.outcome === 'requested') return
    if (result.outcome === 'already_finished') return wrapper.skip(wrapper.title)
    throw new Error(result.message ?? outcomeText(result))
  }

  private titleOf(task: JobTask, state = task.state): string {
    const mark = statusMark(task.status, this.options.color)
    return truncate(`${mark} ${jobLabel(task.job, task.id)}  ${state}`, Math.max(20, this.options.width - 4))
  }
}

/** Plain lines, or listr2 on an animating terminal (imported only then). */
export async function createCancelRenderer(
  jobs: readonly Job[],
  options: CancelRenderOptions & {animate: boolean},
): Promise<CancelRenderer> {
  if (!options.animate) return new PlainRenderer(jobs, options)
  return new TtyRenderer(await import('listr2'), jobs, options)
}
