/**
 * `jobs watch` (and `jobs status --wait`) on a terminal: a line per active job, redrawn in place
 * (ui/live-block.ts); a job that ends is printed above them for good, a failure's error under it.
 * Each line starts with its status's mark from the one status table. When watching ends, the
 * same summary as in a pipe.
 */

import type {WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'

import {isTerminal, type Job} from '../jobs/job.js'
import {displayJob, type RenderOptions, shortJobId, shortJobIds} from '../ui/job-format.js'
import {LiveBlock} from '../ui/live-block.js'
import {statusMark} from '../ui/status-style.js'
import {painter} from '../ui/terminal.js'
import {IDLE_TEXT, jobLine, refusalNotice, summaryLine} from './watch-text.js'

const GONE_NOTE = '  (no longer found on the server)'
const STOPPED_NOTE = '  (no longer watched; the job goes on)'

/** The live lines stay as few as the active jobs, however long it follows (--follow). */
export class TtyRenderer implements WatchRenderer {
  private readonly block: LiveBlock
  /** The jobs that ended, as shown, for the summary. */
  private readonly ended: Job[] = []
  private goneCount = 0
  private idle = false
  /** The active jobs by their own ID; what they show is their escaped form. */
  private readonly open = new Map<string, Job>()
  private reconnecting = false
  private readonly render: RenderOptions

  constructor(private readonly options: RendererOptions) {
    this.render = {color: options.color ?? false, bars: true}
    this.block = new LiveBlock(options.out, options.width ?? 80)
  }

  async close(stopped?: Error): Promise<void> {
    this.idle = false
    this.block.end(this.liveLines(stopped ? STOPPED_NOTE : ''))
    if (!stopped && this.options.summary !== false)
      this.options.out.write(`${summaryLine(this.ended, this.goneCount)}\n`)
  }

  handle(event: WatchEvent): void {
    switch (event.type) {
      case 'gone': {
        const job = this.open.get(event.jobId)
        if (!job) return
        this.open.delete(event.jobId)
        this.goneCount++
        this.printAbove(this.jobLines(job, shortJobId(job.job_id), GONE_NOTE))
        return
      }

      case 'idle': {
        this.idle = true
        break
      }

      case 'job': {
        const job = displayJob(event.job)
        this.idle = false
        if (!isTerminal(job.status)) {
          this.open.set(event.job.job_id, job)
          break
        }

        this.open.delete(event.job.job_id)
        this.ended.push(job)
        this.printAbove(this.jobLines(job, shortJobId(job.job_id)))
        return
      }

      case 'push_refused': {
        this.block.above(() => this.options.err.write(refusalNotice(event)))
        return
      }

      default: {
        this.reconnecting = event.type === 'reconnecting'
      }
    }

    this.block.show(this.liveLines())
  }

  /**
   * The active jobs that fit: a block taller than the terminal cannot be redrawn in place (the
   * cursor stops at the top row), so it keeps one row for the cursor and one for "... and N more".
   */
  private fittingJobs(jobs: Job[]): Job[] {
    const rows = this.options.height
    if (rows === undefined || jobs.length <= rows - 1) return jobs
    return jobs.slice(0, Math.max(1, rows - 2))
  }

  /** A job's line, led by its status's mark, and a failure's error on the line under it. */
  private jobLines(job: Job, id: string, note = ''): string[] {
    const mark = statusMark(job.status, this.render.color)
    const lines = [`${mark} ${jobLine(job, id, this.render, false)}${note}`]
    const error = job.error_message ?? 'The job failed without saying why.'
    if (job.status === 'failed') lines.push(painter(this.render.color)('red', `  ${error}`))
    return lines
  }

  /** The active jobs (with `note`, or "reconnecting" while the server is away), then the note that watching waits for new jobs. */
  private liveLines(note = ''): string[] {
    const jobs = [...this.open.values()]
    const ids = shortJobIds(jobs.map((job) => job.job_id))
    const suffix = note || (this.reconnecting ? '  (reconnecting...)' : '')
    const shown = this.fittingJobs(jobs)
    const lines = shown.flatMap((job) => this.jobLines(job, ids.get(job.job_id)!, suffix))
    const paint = painter(this.render.color)
    if (shown.length < jobs.length)
      lines.push(paint('dim', `... and ${jobs.length - shown.length} more active jobs (a taller terminal shows them)`))
    if (this.idle) lines.push(paint('dim', IDLE_TEXT))
    return lines
  }

  /** Printed once, not redrawn: a long line may wrap, so a long error shows in full. */
  private printAbove(lines: string[]): void {
    this.block.above(() => this.options.out.write(lines.map((line) => `${line}\n`).join('')), this.liveLines())
  }
}
