/** How far a job has got, in the words of `jobs status` and `jobs watch`: its step and its ETA. */
import type {Job} from '../jobs/job.js'

import {formatDuration} from '../support/time.js'

/** `semantic 210/500`, `index`, or '' when the server says nothing about the step. */
export function formatStep(job: Job): string {
  const {current_step: step, steps_completed: done, total_steps: total} = job.progress_detail
  const counts = done !== null && total !== null ? `${done}/${total}` : ''
  return [step ?? '', counts].filter(Boolean).join(' ')
}

/** `ETA 1m 20s` while the job runs and an estimate exists; '' otherwise. */
export function formatEta(job: Job): string {
  const seconds = job.progress_detail.estimated_remaining
  if (job.status !== 'running' || seconds === null) return ''
  return `ETA ${formatDuration(seconds * 1000)}`
}
