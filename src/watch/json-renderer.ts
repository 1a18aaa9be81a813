/** `jobs watch --json`: one normalized job per line per change (NDJSON), kept as data; every notice goes to stderr. */

import type {WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'

import {safeJson, safeText} from '../ui/safe-text.js'
import {connectionNotice, IDLE_TEXT, refusalNotice} from './watch-text.js'

export class JsonRenderer implements WatchRenderer {
  constructor(private readonly options: RendererOptions) {}

  async close(): Promise<void> {}

  handle(event: WatchEvent): void {
    switch (event.type) {
      case 'gone': {
        this.options.err.write(`cidx: job ${safeText(event.jobId)} is no longer found on the server\n`)
        break
      }

      case 'idle': {
        this.options.err.write(`cidx: ${IDLE_TEXT}\n`)
        break
      }

      case 'job': {
        this.options.out.write(`${safeJson(event.job)}\n`)
        break
      }

      case 'push_refused': {
        this.options.err.write(refusalNotice(event))
        break
      }

      default: {
        this.options.err.write(`cidx: ${connectionNotice(event)}\n`)
      }
    }
  }
}
