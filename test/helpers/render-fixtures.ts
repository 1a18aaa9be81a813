/** Events, jobs and sinks for the watch renderers' tests. */
import type {Job} from '../../src/jobs/job.js'
import type {WatchEvent} from '../../src/watch/job-watcher.js'
import {withHostileTexts} from './hostile-text.js'
import {makeJob} from './job-fixtures.js'

export const ANSI = /\u001B\[/
export const ISO_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/

export function jobEvent(job: Job, previous: Job | null = null): WatchEvent {
  return {type: 'job', job, previous, changes: previous ? ['status'] : ['new'], at: new Date('2026-11-28T09:15:00.000Z')}
}

/** A running job whose every other text carries control codes. */
export function hostileJob(fields: Partial<Job> = {}): Job {
  return {...withHostileTexts(makeJob()), status: 'running', ...fields}
}

/** A sink that keeps what is written. */
export class Collect {
  text = ''
  write(chunk: string) {
    this.text += chunk
    return true
  }
}
