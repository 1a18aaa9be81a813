import type {ProgressEvery} from '../flags.js'
/**
 * `jobs watch` in CI logs and pipes: one line per change with an ISO timestamp, no ANSI codes,
 * then a summary. Every new job, status, phase and error is a line; progress alone only every so
 * often when asked (`--progress-every`), so a long job writes a readable log; a job's last line
 * always shows.
 */
import type {Job} from '../jobs/job.js'
import type {JobChangeEvent, WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'

import {isTerminal} from '../jobs/job.js'
import {displayJob, type RenderOptions} from '../ui/job-format.js'
import {safeText} from '../ui/safe-text.js'
import {connectionNotice, IDLE_TEXT, jobLine, refusalNotice, summaryLine} from './watch-text.js'

const PLAIN: RenderOptions = {color: false, bars: false}

/** What the last line written about a job showed, to tell whether the next change earns one. */
interface Written {
  at: number
  progress: number
}

export class PlainRenderer implements WatchRenderer {
  /** Every change earns a line unless the caller says otherwise. */
  private readonly every: ProgressEvery
  private goneCount = 0
  private readonly last = new Map<string, Job>()
  private readonly written = new Map<string, Written>()

  constructor(private readonly options: RendererOptions) {
    this.every = options.progressEvery ?? {ms: 0, percent: 0}
  }

  async close(stopped?: Error): Promise<void> {
    if (!stopped) this.options.out.write(`${summaryLine(this.last.values(), this.goneCount)}\n`)
  }

  handle(event: WatchEvent): void {
    const stamp = event.at.toISOString()
    switch (event.type) {
      case 'gone': {
        this.goneCount++
        this.last.delete(event.jobId)
        this.options.out.write(`${stamp}  ${safeText(event.jobId)}  no longer found on the server\n`)

        break
      }

      case 'idle': {
        this.options.out.write(`${stamp}  ${IDLE_TEXT}\n`)

        break
      }

      case 'job': {
        const job = displayJob(event.job)
        this.last.set(event.job.job_id, job)
        if (!this.earnsLine(event)) break
        this.written.set(event.job.job_id, {at: event.at.getTime(), progress: event.job.progress})
        this.options.out.write(`${stamp}  ${jobLine(job, job.job_id, PLAIN)}\n`)

        break
      }

      case 'push_refused': {
        this.options.err.write(refusalNotice(event))

        break
      }

      default: {
        this.options.out.write(`${stamp}  ${connectionNotice(event)}\n`)
      }
    }
  }

  /** News about the job always; progress alone (counts, percent, times) once it has moved enough or enough time has passed. */
  private earnsLine(event: JobChangeEvent): boolean {
    const {job, previous, changes} = event
    const written = this.written.get(job.job_id)
    if (!previous || !written || isTerminal(job.status)) return true
    if (changes.some((change) => change === 'new' || change === 'status' || change === 'error')) return true
    if (previous.progress_detail.current_step !== job.progress_detail.current_step) return true
    return (
      Math.abs(job.progress - written.progress) >= this.every.percent ||
      event.at.getTime() - written.at >= this.every.ms
    )
  }
}
