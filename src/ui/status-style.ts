/**
 * The one look of each job status: its symbol and colour. Every view that shows a status takes it
 * from here (the `jobs list` and `jobs cancel` tables, `jobs status`, `jobs watch` on a terminal
 * and in a pipe, the live `jobs cancel`), so a status reads the same wherever it appears.
 */
import type {RenderOptions} from './job-format.js'

import {type ColorName, painter} from './terminal.js'

export interface StatusStyle {
  color: ColorName
  symbol: string
}

const STATUS_STYLES: Readonly<Record<string, StatusStyle>> = {
  queued: {symbol: '○', color: 'gray'},
  running: {symbol: '●', color: 'blue'},
  resolving_prerequisites: {symbol: '◌', color: 'cyan'},
  completed: {symbol: '✔', color: 'green'},
  completed_partial: {symbol: '◑', color: 'yellow'},
  failed: {symbol: '✖', color: 'red'},
  cancelled: {symbol: '⊘', color: 'magenta'},
}

/** Symbol and colour of a known status; undefined for a status this CLI does not know (shown plainly). */
export function statusStyle(status: string): StatusStyle | undefined {
  return Object.hasOwn(STATUS_STYLES, status) ? STATUS_STYLES[status] : undefined
}

/**
 * `✔ completed` in green on a colour terminal; the bare status (coloured only when colour is
 * forced) elsewhere. An unknown status keeps its text, uncoloured, behind a blank in place of the
 * symbol so the column still lines up.
 */
export function formatStatus(status: string, options: RenderOptions): string {
  const style = statusStyle(status)
  if (!style) return options.bars ? `  ${status}` : status
  return painter(options.color)(style.color, options.bars ? `${style.symbol} ${status}` : status)
}

/** The symbol alone, in its colour, that starts a job's line in a live view; a blank for an unknown status. */
export function statusMark(status: string, color: boolean): string {
  const style = statusStyle(status)
  return style ? painter(color)(style.color, style.symbol) : ' '
}
