/**
 * A small table formatter for people: one line per row, never wrapped. When the rows do not fit
 * the width it first switches columns to their compact form (a bar becomes a percent: nothing is
 * lost), then cuts flexible columns (with an ellipsis) down to their minimum, then drops columns,
 * least important first. Widths count terminal columns (text-width.ts: wide CJK characters and
 * emoji take two), so coloured and wide cells line up.
 */
import type {Paint} from './terminal.js'

import {pad, truncate, visibleWidth} from './text-width.js'

export interface ColumnSpec<Row> {
  align?: 'left' | 'right'
  cell: (row: Row) => string
  /** A narrower rendering (e.g. `42%` instead of a bar), used before the column is dropped. */
  compact?: (row: Row) => string
  header: string
  /** The column may be cut (ending in `…`) down to this many columns; without it, cells are never cut. */
  minWidth?: number
  /** Columns are dropped lowest priority first; a column without a priority is never dropped. */
  priority?: number
}

export interface TableOptions {
  /** Spaces between columns. Default 2. */
  gap?: number
  /** Styles the header line (bold on a colour terminal). */
  paint?: Paint
  /** Visible columns available; Infinity (the default) never cuts or drops anything. */
  width?: number
}

interface ActiveColumn<Row> {
  compact: boolean
  spec: ColumnSpec<Row>
}

function cellText<Row>(column: ActiveColumn<Row>, row: Row): string {
  return column.compact && column.spec.compact ? column.spec.compact(row) : column.spec.cell(row)
}

function naturalWidths<Row>(columns: ActiveColumn<Row>[], grid: string[][]): number[] {
  return columns.map((column, index) =>
    Math.max(visibleWidth(column.spec.header), ...grid.map((cells) => visibleWidth(cells[index]))),
  )
}

/**
 * Shrinks the flexible columns, one column at a time from the widest, until the total fits
 * `available`. Undefined when even their minimum widths do not fit.
 */
function shrinkToFit<Row>(columns: ActiveColumn<Row>[], natural: number[], available: number): number[] | undefined {
  const widths = [...natural]
  let excess = widths.reduce((sum, width) => sum + width, 0) - available
  while (excess > 0) {
    let widest = -1
    for (const [index, column] of columns.entries()) {
      const min = column.spec.minWidth
      if (min === undefined || widths[index] <= min) continue
      if (widest === -1 || widths[index] > widths[widest]) widest = index
    }

    if (widest === -1) return undefined
    widths[widest]--
    excess--
  }

  return widths
}

function leastImportantFirst<Row>(columns: ActiveColumn<Row>[]): ActiveColumn<Row>[] {
  return [...columns].sort((a, b) => (a.spec.priority ?? Infinity) - (b.spec.priority ?? Infinity))
}

/** The least important column that has a compact form not yet used, compacted; undefined when none is left. */
function compactOnce<Row>(columns: ActiveColumn<Row>[]): ActiveColumn<Row>[] | undefined {
  const compactable = leastImportantFirst(columns).find((column) => column.spec.compact && !column.compact)
  if (!compactable) return undefined
  return columns.map((column) => (column === compactable ? {...column, compact: true} : column))
}

/** Without the least important droppable column; undefined when every column left is required. */
function dropOnce<Row>(columns: ActiveColumn<Row>[]): ActiveColumn<Row>[] | undefined {
  const droppable = leastImportantFirst(columns).find((column) => column.spec.priority !== undefined)
  if (!droppable) return undefined
  return columns.filter((column) => column !== droppable)
}

interface Layout<Row> {
  columns: ActiveColumn<Row>[]
  grid: string[][]
  widths: number[]
}

function layout<Row>(rows: Row[], specs: ColumnSpec<Row>[], width: number, gap: number): Layout<Row> {
  let columns: ActiveColumn<Row>[] = specs.map((spec) => ({spec, compact: false}))
  for (;;) {
    const grid = rows.map((row) => columns.map((column) => cellText(column, row)))
    const natural = naturalWidths(columns, grid)
    const available = width - gap * (columns.length - 1)
    const fits = natural.reduce((sum, w) => sum + w, 0) <= available
    const compacted = fits ? undefined : compactOnce(columns)
    if (compacted) {
      columns = compacted
      continue
    }

    const widths = shrinkToFit(columns, natural, available)
    if (widths) return {columns, grid, widths}
    const fewer = dropOnce(columns)
    // Nothing left to give up: print at minimum widths; lines are cut to the width below.
    if (!fewer)
      return {columns, grid, widths: natural.map((w, index) => Math.min(w, columns[index].spec.minWidth ?? w))}
    columns = fewer
  }
}

function renderLine(cells: string[], widths: number[], aligns: ('left' | 'right')[], gap: number): string {
  const last = cells.length - 1
  return cells
    .map((cell, index) => {
      const cut = truncate(cell, widths[index])
      // No trailing spaces after a left-aligned last column.
      return index === last && aligns[index] === 'left' ? cut : pad(cut, widths[index], aligns[index])
    })
    .join(' '.repeat(gap))
}

/** The table's lines: the header, then one line per row. */
export function renderTable<Row>(rows: Row[], specs: ColumnSpec<Row>[], options: TableOptions = {}): string[] {
  const width = options.width ?? Infinity
  const gap = options.gap ?? 2
  const {columns, grid, widths} = layout(rows, specs, width, gap)
  const aligns = columns.map((column) => column.spec.align ?? 'left')
  const header = renderLine(
    columns.map((column) => column.spec.header),
    widths,
    aligns,
    gap,
  )
  const lines = [
    options.paint ? options.paint('bold', header) : header,
    ...grid.map((cells) => renderLine(cells, widths, aligns, gap)),
  ]
  return lines.map((line) => truncate(line, width))
}
