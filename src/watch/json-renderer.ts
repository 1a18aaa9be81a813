/** `jobs watch --json`: one normalized job per line per change (NDJSON), kept as data; every notice goes to stderr. */
import {safeJson, safeText} from '../ui/safe-text.js'
import type {WatchEvent} from './job-watcher.js'
import type {RendererOptions, WatchRenderer} from './watch-render.js'
import {connectionNotice, refusalNotice} from './watch-text.js'

export class JsonRenderer implements WatchRenderer {
  constructor(private readonly options: RendererOptions) {}

  handle(event: WatchEvent): void {
    if (event.type === 'job') this.options.out.write(`${safeJson(event.job)}\n`)
    else if (event.type === 'gone') this.options.err.write(`cidx: job ${safeText(event.jobId)} is no longer found on the server\n`)
    else if (event.type === 'push_refused') this.options.err.write(refusalNotice(event))
    else this.options.err.write(`cidx: ${connectionNotice(event)}\n`)
  }

  async close(): Promise<void> {}
}
