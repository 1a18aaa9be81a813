/** `jobs stats` for people: the headline figures, status and type tables, top failures, the timeline. */

import type {TerminalOptions} from '../ui/terminal.js'
import type {JobStats, TypeStats} from './job-stats.js'

import {formatDuration} from '../support/time.js'
import {safeText} from '../ui/safe-text.js'
import {type ColumnSpec, renderTable} from '../ui/table.js'
import {painter} from '../ui/terminal.js'
import {renderTimelineChart, renderTimelineTable} from './timeline-chart.js'

/** `1m 05s`, or `-` when nothing was measured. */
function seconds(value: null | number): string {
  return value === null ? '-' : formatDuration(value * 1000)
}

/** `87.5%`, or `-` when nothing completed or failed. */
export function formatRate(rate: null | number): string {
  return rate === null ? '-' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`
}

function headline(stats: JobStats): string[] {
  return [
    `${stats.sample} jobs created ${stats.since} to ${stats.until}`,
    `Success rate ${formatRate(stats.success_rate)} (completed / (completed + failed))`,
    `Duration  p50 ${seconds(stats.duration.p50_s)}  p95 ${seconds(stats.duration.p95_s)}  max ${seconds(stats.duration.max_s)}`,
    `Queue wait  p50 ${seconds(stats.queue_wait.p50_s)}  p95 ${seconds(stats.queue_wait.p95_s)}`,
  ]
}

function statusTable(stats: JobStats, width: number): string[] {
  const rows = Object.entries(stats.by_status)
  return renderTable(
    rows,
    [
      {header: 'STATUS', cell: ([status]) => safeText(status), minWidth: 8},
      {header: 'JOBS', align: 'right', cell: ([, count]) => String(count)},
    ],
    {width},
  )
}

/** A right-aligned column of one figure per type. */
function figure(header: string, cell: (type: TypeStats) => string, priority?: number): ColumnSpec<[string, TypeStats]> {
  return {header, align: 'right', cell: ([, type]) => cell(type), priority}
}

function typeTable(stats: JobStats, width: number): string[] {
  const rows = Object.entries(stats.by_type)
  return renderTable(
    rows,
    [
      {header: 'TYPE', cell: ([type]) => safeText(type), minWidth: 12},
      figure('JOBS', (type) => String(type.count)),
      figure('FAILED', (type) => String(type.failed)),
      figure('SUCCESS', (type) => formatRate(type.success_rate)),
      figure('P50', (type) => seconds(type.duration_p50_s), 2),
      figure('P95', (type) => seconds(type.duration_p95_s), 1),
    ],
    {width},
  )
}

function errorTable(stats: JobStats, width: number): string[] {
  return renderTable(
    stats.top_errors,
    [
      {header: 'COUNT', align: 'right', cell: (group) => String(group.count)},
      {header: 'REASON', cell: (group) => safeText(group.error), minWidth: 20},
      {header: 'EXAMPLE JOB', cell: (group) => safeText(group.example_job_id), minWidth: 8, priority: 1},
    ],
    {width},
  )
}

/** Every section, blank lines between; tables fit the terminal's width, and in a pipe are never cut. */
export function renderStats(stats: JobStats, terminal: TerminalOptions): string[] {
  const paint = painter(terminal.color)
  const width = terminal.tty ? terminal.width : Infinity
  const title = (text: string): string => paint('bold', text)
  const sections = [headline(stats)]
  if (stats.sample > 0) sections.push(statusTable(stats, width), typeTable(stats, width))
  if (stats.top_errors.length > 0) sections.push([title('Most frequent failures'), ...errorTable(stats, width)])
  if (stats.sample > 0) {
    const timeline = terminal.tty
      ? renderTimelineChart(stats.timeline, stats.timeline_unit, terminal)
      : renderTimelineTable(stats.timeline)
    sections.push([title(`Jobs per ${stats.timeline_unit}`), ...timeline])
  }

  return sections.flatMap((lines, index) => (index === 0 ? lines : ['', ...lines]))
}
