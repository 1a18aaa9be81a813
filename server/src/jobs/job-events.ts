import {EventEmitter} from 'node:events'

import type {WireJob} from './job-row.js'

/** In-process fan-out of job changes to the SSE streams. */
export class JobEvents {
  // eslint-disable-next-line unicorn/prefer-event-target -- a listener's error must reach publish()'s caller: EventTarget makes it an uncaught exception
  private readonly emitter = new EventEmitter()

  constructor() {
    // One listener per open stream: there is no meaningful upper bound to warn about.
    this.emitter.setMaxListeners(0)
  }

  publish(job: WireJob): void {
    this.emitter.emit('job', job)
  }

  subscribe(listener: (job: WireJob) => void): () => void {
    this.emitter.on('job', listener)
    return () => this.emitter.off('job', listener)
  }
}
