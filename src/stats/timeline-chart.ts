/**
 * The timeline for people: on a terminal a stacked bar chart a few lines high, one column per
 * bucket, fitted to the width (at 80 columns a week of days or two days of hours fit whole); in a
 * pipe a plain table, one line per bucket, for grep and awk.
 */

import {renderTable} from '../ui/table.js'
import {painter, type StyleName, type TerminalOptions} from '../ui/terminal.js'
import {type BucketUnit, type Outcome, OUTCOMES, type TimelineBucket} from './timeline.js'

/** Lines of bars. */
export const CHART_HEIGHT = 6
/** Widest column per bucket (bar and gap). */
const MAX_COLUMN = 6

const BLOCK: Readonly<Record<Outcome, {char: string; style: StyleName}>> = {
  completed: {char: '█', style: 'green'},
  failed: {char: '▓', style: 'red'},
  cancelled: {char: '▒', style: 'yellow'},
  other: {char: '░', style: 'gray'},
}

function total(bucket: TimelineBucket): number {
  return OUTCOMES.reduce((sum, outcome) => sum + bucket[outcome], 0)
}

/** `11-28 14:00` for hours, `11-28` for days and weeks (UTC, as the buckets are). */
export function bucketLabel(start: string, unit: BucketUnit): string {
  return unit === 'hour' ? `${start.slice(5, 10)} ${start.slice(11, 16)}` : start.slice(5, 10)
}

/**
 * The outcome drawn in each cell of a bucket's bar, bottom up: outcome k fills up to the rounded-up
 * share of the running total, so any non-empty bucket shows at least one cell.
 */
function barCells(bucket: TimelineBucket, max: number): (Outcome | undefined)[] {
  const cells: (Outcome | undefined)[] = Array.from({length: CHART_HEIGHT})
  let running = 0
  let from = 0
  for (const outcome of OUTCOMES) {
    running += bucket[outcome]
    const to = max === 0 ? 0 : Math.ceil((running / max) * CHART_HEIGHT)
    for (let row = from; row < to; row++) cells[row] = outcome
    from = Math.max(from, to)
  }

  return cells
}

/** The chart's lines: bars with a count axis, the first and last bucket's labels, a legend. */
export function renderTimelineChart(buckets: TimelineBucket[], unit: BucketUnit, terminal: TerminalOptions): string[] {
  const paint = painter(terminal.color)
  const max = Math.max(0, ...buckets.map((bucket) => total(bucket)))
  const axis = String(max).length
  const available = Math.max(1, terminal.width - axis - 1)
  // More buckets than columns: the newest ones, which are what a person asks about first.
  const shown = buckets.slice(-available)
  const column = Math.max(1, Math.min(MAX_COLUMN, Math.floor(available / shown.length)))
  const bar = column > 1 ? column - 1 : 1
  const bars = shown.map((bucket) => barCells(bucket, max))
  const lines: string[] = []
  for (let row = CHART_HEIGHT - 1; row >= 0; row--) {
    const label = row === CHART_HEIGHT - 1 ? String(max) : row === 0 ? '0' : ''
    const cells = bars.map((cellsOfBucket) => {
      const outcome = cellsOfBucket[row]
      const text = outcome ? paint(BLOCK[outcome].style, BLOCK[outcome].char.repeat(bar)) : ' '.repeat(bar)
      return text + ' '.repeat(column - bar)
    })
    lines.push(`${label.padStart(axis)}│${cells.join('').trimEnd()}`)
  }

  const first = bucketLabel(shown[0].start, unit)
  const last = bucketLabel(shown.at(-1)!.start, unit)
  const span = shown.length * column
  const gap = Math.max(1, span - first.length - last.length)
  lines.push(`${' '.repeat(axis)}└${'─'.repeat(span)}`, `${' '.repeat(axis + 1)}${first}${' '.repeat(gap)}${last}`)
  const legend = OUTCOMES.map((outcome) => `${paint(BLOCK[outcome].style, BLOCK[outcome].char)} ${outcome}`)
  const perUnit = shown.length < buckets.length ? `, the last ${shown.length} of ${buckets.length}` : ''
  lines.push(`${' '.repeat(axis + 1)}jobs per ${unit} (UTC)${perUnit}: ${legend.join('  ')}`)
  return lines
}

/** The timeline as a plain table: START, then one column per outcome. */
export function renderTimelineTable(buckets: TimelineBucket[]): string[] {
  return renderTable(buckets, [
    {header: 'START', cell: (bucket) => bucket.start},
    ...OUTCOMES.map((outcome) => ({
      header: outcome.toUpperCase(),
      align: 'right' as const,
      cell: (bucket: TimelineBucket) => String(bucket[outcome]),
    })),
  ])
}
