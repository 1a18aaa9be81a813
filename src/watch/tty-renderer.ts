/**
 * `jobs watch` (and `jobs status --wait`) on a terminal: listr2, one task per job whose title is
 * updated in place; each task ends with the symbol of its outcome. listr2 itself is loaded by
 * createRenderer, only for this renderer; here are its types alone.
 */

import type {WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'

import {isTerminal, type Job} from '../jobs/job.js'
import {displayJob, type RenderOptions, shortJobId} from '../ui/job-format.js'
import {truncate} from '../ui/text-width.js'
import {jobLine, refusalNotice, summaryLine} from './watch-text.js'

type ListrClass = typeof import('listr2').Listr
type ListrTask = import('listr2').ListrTask
type Outcome = 'ended' | 'gone' | 'stopped'

interface TaskTitle {
  skip(message?: string): void
  title: string
}

interface JobTask {
  job: Job
  outcome?: Outcome
  settle(outcome: Outcome): void
  settled: Promise<Outcome>
  wrapper?: TaskTitle
}

/**
 * One listr2 task per job. Jobs can appear while listr2 runs (watching all active jobs), but a
 * running Listr takes no new tasks; so the list ends in an untitled task that waits for the next
 * jobs and returns them, with a new such task, as subtasks (untitled tasks' subtasks render at
 * the same level, so this reads as one flat list).
 */
export class TtyRenderer implements WatchRenderer {
  private closing = false
  private reconnecting = false
  private readonly render: RenderOptions
  private readonly running: Promise<unknown>
  private readonly tasks = new Map<string, JobTask>()
  private waiting: string[] = []
  private wakeBatch: (() => void) | undefined
  private readonly width: number

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

  async close(stopped?: Error): Promise<void> {
    this.closing = true
    for (const task of this.tasks.values()) task.settle('stopped')
    this.wakeBatch?.()
    await this.running
    if (!stopped && this.tasks.size === 0) this.options.out.write(`${summaryLine([], 0)}\n`)
  }

  handle(event: WatchEvent): void {
    switch (event.type) {
      case 'gone': {
        this.tasks.get(event.jobId)?.settle('gone')
        break
      }

      case 'job': {
        this.update(event.job)
        break
      }

      case 'push_refused': {
        this.options.err.write(refusalNotice(event))
        break
      }

      default: {
        this.reconnecting = event.type === 'reconnecting'
        for (const task of this.tasks.values()) this.retitle(task)
      }
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
        return wrapper.newListr([...ids.map((id) => this.jobListrTask(id)), this.nextBatchTask()], {
          concurrent: true,
          exitOnError: false,
        })
      },
    }
  }

  private retitle(task: JobTask): void {
    if (task.wrapper) task.wrapper.title = this.titleOf(task)
  }

  private titleOf(task: JobTask): string {
    const base = jobLine(task.job, shortJobId(task.job.job_id), this.render, false)
    const suffix = this.reconnecting && task.outcome === undefined ? '  (reconnecting...)' : ''
    return truncate(base + suffix, Math.max(20, this.width - 4))
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
    if (isTerminal(raw.status)) task.settle('ended')
  }
}
