/** `jobs watch` in CI logs and pipes: one line per change with an ISO timestamp, no ANSI codes, then a summary. */
import type {Job} from '../jobs/job.js'
import type {WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'

import {displayJob, type RenderOptions} from '../ui/job-format.js'
import {safeText} from '../ui/safe-text.js'
import {connectionNotice, IDLE_TEXT, jobLine, refusalNotice, summaryLine} from './watch-text.js'

const PLAIN: RenderOptions = {color: false, bars: false}

export class PlainRenderer implements WatchRenderer {
  private goneCount = 0
  private readonly last = new Map<string, Job>()

  constructor(private readonly options: RendererOptions) {}

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
}
