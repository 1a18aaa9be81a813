/**
 * How `jobs watch` (and `jobs status --wait` on a terminal) show the watch engine's events:
 * - tty: listr2, one task per job whose title is updated in place; each task ends with the
 *   symbol of its outcome. listr2 is imported only here, and only for this renderer.
 * - plain: one line per change with an ISO timestamp, no ANSI codes (CI logs, pipes).
 * - json: one normalized job per line per change (NDJSON); connection notices go to stderr.
 * The server's texts are escaped on the way in (displayJob, safeText); the JSON keeps them as data (safeJson).
 */
import type {Job} from '../jobs/job.js'
import {displayJob, formatJobDuration, formatProgress, formatStatus, shortJobId, type RenderOptions} from '../ui/job-format.js'
import type {WatchEvent} from './job-watcher.js'
import {safeJson, safeText} from '../ui/safe-text.js'
import {truncate} from '../ui/text-width.js'
import {formatDuration} from '../support/time.js'

export type RenderMode = 'tty' | 'plain' | 'json'

export interface WatchRenderer {
  handle(event: WatchEvent): void
  /**
   * After the last event, or when watching stopped early (`stopped`: Ctrl-C, timeout, lost
   * server): finishes the output and leaves the terminal as it was.
   */
  close(stopped?: Error): Promise<void>
}

export interface Sink {
  write(text: string): unknown
}

export interface RendererOptions {
  /** Where job output goes (stdout). */
  out: Sink
  /** Where notices go that must not mix with NDJSON (stderr). */
  err: Sink
  /** Colour codes allowed (tty only). */
  color?: boolean
  /** Visible columns (tty only). */
  width?: number
}

/** The renderer a command should use: json when asked, listr2 on an animating terminal, plain lines otherwise. */
export function chooseRenderMode(options: {json: boolean; animate: boolean}): RenderMode {
  if (options.json) return 'json'
  return options.animate ? 'tty' : 'plain'
}

export async function createRenderer(mode: RenderMode, options: RendererOptions): Promise<WatchRenderer> {
  if (mode === 'json') return new JsonRenderer(options)
  if (mode === 'plain') return new PlainRenderer(options)
  const {Listr} = await import('listr2')
  return new TtyRenderer(Listr, options)
}

// ---- text shared by the renderers ---------------------------------------------------------

/** `semantic 210/500`, `index`, or '' when the server says nothing about the step. */
export function formatStep(job: Job): string {
  const {current_step: step, steps_completed: done, total_steps: total} = job.progress_detail
  const counts = done !== null && total !== null ? `${done}/${total}` : ''
  return [step ?? '', counts].filter(Boolean).join(' ')
}

/** `ETA 1m 20s` while the job runs and an estimate exists; '' otherwise. */
export function formatEta(job: Job): string {
  const seconds = job.progress_detail.estimated_remaining
  if (job.status !== 'running' || seconds === null) return ''
  return `ETA ${formatDuration(seconds * 1000)}`
}

/** What ended a job, in a few words: `in 12s`, the error, the cancellation. */
function outcomeText(job: Job, withError: boolean): string {
  const took = formatJobDuration(job)
  const duration = took === '-' ? '' : `in ${took}`
  const showError = job.status === 'cancelled' || (job.status === 'failed' && withError)
  return showError ? [duration, job.error_message ?? ''].filter(Boolean).join(': ') : duration
}

/** `withError: false` when a failure's error shows elsewhere (listr2 prints it under the task). */
function jobLine(job: Job, id: string, render: RenderOptions, withError = true): string {
  // A task's icon already carries the outcome's symbol: the status word goes without one.
  const status = formatStatus(job.status, {...render, bars: false})
  const live = job.status === 'running' ? [formatStep(job), formatEta(job)] : []
  const ended = ['completed', 'completed_partial', 'failed', 'cancelled'].includes(job.status) ? [outcomeText(job, withError)] : []
  return [id, job.job_type, job.repository ?? '', status, formatProgress(job, render), ...live, ...ended]
    .filter((part) => part.trim() !== '')
    .join('  ')
}

function summaryLine(jobs: Iterable<Job>, goneCount: number): string {
  const counts = new Map<string, number>()
  for (const job of jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1)
  const parts = [...counts].map(([status, count]) => `${count} ${status}`)
  if (goneCount > 0) parts.push(`${goneCount} gone`)
  return parts.length === 0 ? 'No active jobs to watch.' : `Done: ${parts.join(', ')}.`
}

function noticeText(event: WatchEvent): string | undefined {
  if (event.type === 'reconnecting') return `server unreachable (${safeText(event.reason)}); reconnecting...`
  if (event.type === 'reconnected') return `reconnected after ${formatDuration(event.downForMs)}`
  return undefined
}

// ---- plain --------------------------------------------------------------------------------

const PLAIN: RenderOptions = {color: false, bars: false}

class PlainRenderer implements WatchRenderer {
  private readonly last = new Map<string, Job>()
  private goneCount = 0

  constructor(private readonly options: RendererOptions) {}

  handle(event: WatchEvent): void {
    const stamp = event.at.toISOString()
    if (event.type === 'job') {
      const job = displayJob(event.job)
      this.last.set(event.job.job_id, job)
      this.options.out.write(`${stamp}  ${jobLine(job, job.job_id, PLAIN)}\n`)
    } else if (event.type === 'gone') {
      this.goneCount++
      this.last.delete(event.jobId)
      this.options.out.write(`${stamp}  ${safeText(event.jobId)}  no longer found on the server\n`)
    } else {
      this.options.out.write(`${stamp}  ${noticeText(event)}\n`)
    }
  }

  async close(stopped?: Error): Promise<void> {
    if (!stopped) this.options.out.write(`${summaryLine(this.last.values(), this.goneCount)}\n`)
  }
}

// ---- json ---------------------------------------------------------------------------------

class JsonRenderer implements WatchRenderer {
  constructor(private readonly options: RendererOptions) {}

  handle(event: WatchEvent): void {
    if (event.type === 'job') this.options.out.write(`${safeJson(event.job)}\n`)
    else if (event.type === 'gone') this.options.err.write(`cidx: job ${safeText(event.jobId)} is no longer found on the server\n`)
    else this.options.err.write(`cidx: ${noticeText(event)}\n`)
  }

  async close(): Promise<void> {}
}

// ---- tty (listr2) -------------------------------------------------------------------------

type ListrClass = typeof import('listr2').Listr
type ListrTask = import('listr2').ListrTask
type Outcome = 'ended' | 'gone' | 'stopped'

interface TaskTitle {
  title: string
  skip(message?: string): void
}

interface JobTask {
  job: Job
  wrapper?: TaskTitle
  outcome?: Outcome
  settle(outcome: Outcome): void
  settled: Promise<Outcome>
}

/**
 * One listr2 task per job. Jobs can appear while listr2 runs (watching all active jobs), but a
 * running Listr takes no new tasks; so the list ends in an untitled task that waits for the next
 * jobs and returns them, with a new such task, as subtasks (untitled tasks' subtasks render at
 * the same level, so this reads as one flat list).
 */
class TtyRenderer implements WatchRenderer {
  private readonly tasks = new Map<string, JobTask>()
  private readonly render: RenderOptions
  private readonly width: number
  private waiting: string[] = []
  private wakeBatch: (() => void) | undefined
  private closing = false
  private reconnecting = false
  private readonly running: Promise<unknown>

  constructor(
    Listr: ListrClass,
    private readonly options: RendererOptions,
  ) {
    this.render = {color: options.color ?? false, bars: true}
    this.width = options.width ?? 80
    const root = new Listr([this.nextBatchTask()], {
      concurrent: true,
      exitOnError: false,
      // Ctrl-C is the command's: listr2's own handler would exit 127 with the jobs' tasks half drawn.
      registerSignalListeners: false,
      rendererOptions: {collapseErrors: false, showErrorMessage: true, formatOutput: 'truncate'},
    })
    this.running = root.run()
  }

  handle(event: WatchEvent): void {
    if (event.type === 'job') this.update(event.job)
    else if (event.type === 'gone') this.tasks.get(event.jobId)?.settle('gone')
    else {
      this.reconnecting = event.type === 'reconnecting'
      for (const task of this.tasks.values()) this.retitle(task)
    }
  }

  async close(stopped?: Error): Promise<void> {
    this.closing = true
    for (const task of this.tasks.values()) task.settle('stopped')
    this.wakeBatch?.()
    await this.running
    if (!stopped && this.tasks.size === 0) this.options.out.write(`${summaryLine([], 0)}\n`)
  }

  /** Tasks are found by the job's own ID; what they show is its escaped form. */
  private update(raw: Job): void {
    const job = displayJob(raw)
    let task = this.tasks.get(raw.job_id)
    if (!task) {
      task = this.newJobTask(job)
      this.tasks.set(raw.job_id, task)
      this.waiting.push(raw.job_id)
      this.wakeBatch?.()
    }

    task.job = job
    this.retitle(task)
    if (['completed', 'completed_partial', 'failed', 'cancelled'].includes(raw.status)) task.settle('ended')
  }

  private newJobTask(job: Job): JobTask {
    let settle!: (outcome: Outcome) => void
    const settled = new Promise<Outcome>((resolve) => {
      settle = resolve
    })
    const task: JobTask = {
      job,
      settled,
      settle(outcome) {
        task.outcome ??= outcome
        settle(task.outcome)
      },
    }
    return task
  }

  private titleOf(task: JobTask): string {
    const base = jobLine(task.job, shortJobId(task.job.job_id), this.render, false)
    const suffix = this.reconnecting && task.outcome === undefined ? '  (reconnecting...)' : ''
    return truncate(base + suffix, Math.max(20, this.width - 4))
  }

  private retitle(task: JobTask): void {
    if (task.wrapper) task.wrapper.title = this.titleOf(task)
  }

  private async nextBatch(): Promise<string[]> {
    while (this.waiting.length === 0 && !this.closing) {
      await new Promise<void>((resolve) => {
        this.wakeBatch = resolve
      })
    }

    const batch = this.waiting
    this.waiting = []
    return batch
  }

  private nextBatchTask(): ListrTask {
    return {
      task: async (_context, wrapper) => {
        const ids = await this.nextBatch()
        if (ids.length === 0) return
        return wrapper.newListr([...ids.map((id) => this.jobListrTask(id)), this.nextBatchTask()], {concurrent: true, exitOnError: false})
      },
    }
  }

  private jobListrTask(id: string): ListrTask {
    const task = this.tasks.get(id)!
    return {
      title: this.titleOf(task),
      task: async (_context, wrapper) => {
        task.wrapper = wrapper
        this.retitle(task)
        const outcome = await task.settled
        this.retitle(task)
        this.finish(task, outcome, wrapper)
      },
    }
  }

  /** Ends the task with its outcome's symbol: ✔ completed (also partial, named in the title), ✖ failed, ↓ the rest. */
  private finish(task: JobTask, outcome: Outcome, wrapper: TaskTitle): void {
    const {job} = task
    if (outcome === 'gone') return wrapper.skip(`${wrapper.title}  (no longer found on the server)`)
    if (outcome === 'stopped') return wrapper.skip(`${wrapper.title}  (no longer watched; the job goes on)`)
    if (job.status === 'failed') throw new Error(job.error_message ?? 'The job failed without saying why.')
    if (job.status === 'cancelled') wrapper.skip(wrapper.title)
  }
}
