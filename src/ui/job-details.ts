/**
 * The `cidx jobs status` view: everything about one job, one labelled line per fact, the
 * result as key/value lines and the error in full.
 */
import type {Job} from '../jobs/job.js'

import {formatRelative, formatTimestamp} from '../support/time.js'
import {displayJob, formatJobDuration, formatProgress, type RenderOptions} from './job-format.js'
import {formatEta, formatStep} from './progress-format.js'
import {safeText} from './safe-text.js'
import {formatStatus} from './status-style.js'
import {type Paint, painter} from './terminal.js'

const LABEL_WIDTH = 12
const INDENT = ' '.repeat(LABEL_WIDTH)

/** `2026-11-28 10:14:02 (3m ago)`, or `-`. */
function whenText(value: null | string, now: Date): string {
  return value === null ? '-' : `${formatTimestamp(value)} (${formatRelative(value, now)})`
}

/** Continuation lines of a multi-line value line up under its first line. */
function indentLines(text: string, indent: string): string {
  return text.split('\n').join(`\n${indent}`)
}

function resultValue(value: unknown): string {
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? String(value)
}

/** `key: value` lines of a free-form result (keys and values escaped); nested values as compact JSON. */
export function formatResult(result: Record<string, unknown>, indent = '  '): string[] {
  return Object.entries(result).map(
    ([key, value]) =>
      `${indent}${safeText(key)}: ${indentLines(safeText(resultValue(value), {multiline: true}), `${indent}  `)}`,
  )
}

/** One labelled line per fact. Each value has its own lines, so a server text keeps its line breaks (indented), nothing else. */
export function formatJobDetails(raw: Job, render: RenderOptions, now: Date = new Date()): string[] {
  const job = displayJob(raw, {multiline: true})
  const paint: Paint = painter(render.color)
  const line = (label: string, value: string) =>
    `${paint('bold', label.padEnd(LABEL_WIDTH))}${indentLines(value, INDENT)}`
  const lines = [
    line('Job', job.job_id),
    line('Status', formatStatus(job.status, render)),
    line('Type', job.job_type),
    line('Description', job.description),
    line('Repository', job.repository ?? '-'),
    line('User', job.user_id),
    // Only a cluster names the node that ran the job: elsewhere the line would say nothing.
    ...(job.node === null ? [] : [line('Node', job.node)]),
    line('Progress', formatProgress(job, render)),
  ]
  const step = formatStep(job)
  if (step) lines.push(line('Step', step))
  if (job.progress_detail.detailed_status) lines.push(line('Detail', job.progress_detail.detailed_status))
  const eta = formatEta(job)
  if (eta) lines.push(line('ETA', eta.replace(/^ETA /, '')))
  lines.push(
    line('Created', whenText(job.created_at, now)),
    line('Started', whenText(job.started_at, now)),
    line('Completed', whenText(job.completed_at, now)),
    line('Duration', formatJobDuration(job, now)),
  )
  if (job.error_message) lines.push(line('Error', paint('red', job.error_message)))
  if (job.result && Object.keys(job.result).length > 0) lines.push(paint('bold', 'Result'), ...formatResult(job.result))
  return lines
}
