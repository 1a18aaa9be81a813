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

  /** A change made on another node: to this node's streams, not back to the other nodes. */
  deliver(job: WireJob): void {
    this.emitter.emit('job', job)
  }

  /** Changes made on this node (for the cluster's bus, which tells the other nodes). */
  onLocal(listener: (job: WireJob) => void): () => void {
    this.emitter.on('local', listener)
    return () => this.emitter.off('local', listener)
  }

  /** A change made here: to this node's streams and, in a cluster, to the other nodes. */
  publish(job: WireJob): void {
    this.emitter.emit('job', job)
    this.emitter.emit('local', job)
  }

  subscribe(listener: (job: WireJob) => void): () => void {
    this.emitter.on('job', listener)
    return () => this.emitter.off('job', listener)
  }
}
