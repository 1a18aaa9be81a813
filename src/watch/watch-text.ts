/** The words the watch renderers share: a job's line, the summary, and the notices about the connection. */

import type {PushRefusedEvent, ReconnectedEvent, ReconnectingEvent} from './job-watcher.js'

import {isTerminal, type Job} from '../jobs/job.js'
import {formatDuration} from '../support/time.js'
import {formatJobDuration, formatProgress, type RenderOptions} from '../ui/job-format.js'
import {formatEta, formatStep} from '../ui/progress-format.js'
import {safeText} from '../ui/safe-text.js'
import {formatStatus} from '../ui/status-style.js'

/** What ended a job, in a few words: `in 12s`, the error, the cancellation. */
function outcomeText(job: Job, withError: boolean): string {
  const took = formatJobDuration(job)
  const duration = took === '-' ? '' : `in ${took}`
  const showError = job.status === 'cancelled' || (job.status === 'failed' && withError)
  return showError ? [duration, job.error_message ?? ''].filter(Boolean).join(': ') : duration
}

/** `withError: false` when a failure's error shows elsewhere (the terminal view prints it under the job). */
export function jobLine(job: Job, id: string, render: RenderOptions, withError = true): string {
  // A task's icon already carries the outcome's symbol: the status word goes without one.
  const status = formatStatus(job.status, {...render, bars: false})
  const live = job.status === 'running' ? [formatStep(job), formatEta(job)] : []
  const ended = isTerminal(job.status) ? [outcomeText(job, withError)] : []
  return [id, job.job_type, job.repository ?? '', status, formatProgress(job, render), ...live, ...ended]
    .filter((part) => part.trim() !== '')
    .join('  ')
}

/** Following (`--follow`) while no watched job is active. */
export const IDLE_TEXT = 'No active jobs; waiting for new ones (Ctrl-C to stop)...'

/** `Done: 1 failed, 1 cancelled, 3 completed.`: how the watched jobs ended, for every renderer that ends with a summary. */
export function summaryLine(jobs: Iterable<Job>, goneCount: number): string {
  const counts = new Map<string, number>()
  for (const job of jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1)
  const parts = [...counts].map(([status, count]) => `${count} ${status}`)
  if (goneCount > 0) parts.push(`${goneCount} gone`)
  return parts.length === 0 ? 'No active jobs to watch.' : `Done: ${parts.join(', ')}.`
}

export function connectionNotice(event: ReconnectedEvent | ReconnectingEvent): string {
  if (event.type === 'reconnecting') return `server unreachable (${safeText(event.reason)}); reconnecting...`
  return `reconnected after ${formatDuration(event.downForMs)}`
}

/** A whole stderr line in every mode: the change of channel is news about the watch, not about a job. */
export function refusalNotice(event: PushRefusedEvent): string {
  return `cidx: the server refused an event stream (${safeText(event.reason)}); polling instead\n`
}
