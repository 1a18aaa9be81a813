/**
 * How much room text takes on a terminal, and cutting or padding it to a width: for the table and
 * the other renderers. Apart from src/ui/terminal.ts so that string-width loads only with them, not
 * in a `jobs list --json`.
 */
import stringWidth from 'string-width'

import {ANSI, stripAnsi} from './terminal.js'

/** Splits text into plain runs (even indexes) and escape sequences (odd indexes). */
const ANSI_SPLIT = new RegExp(`(${ANSI.source})`)

/**
 * Code points that take one column each and never join a neighbour into one cluster: printable
 * ASCII and Latin (no combining marks, no soft hyphen), general punctuation (… – —), mathematical
 * operators (⊘), box drawing, block elements and geometric shapes (the bars, ○ ● ◑), and ✔ ✖.
 * Text of these alone, what a job table shows on nearly every line (bars, symbols), is counted
 * here without asking string-width, whose first look at anything but ASCII builds an
 * Intl.Segmenter and compiles its emoji regex: `cidx jobs list` on a terminal (20 jobs, the CLI
 * as installed, 2 CPUs, medians of 15 runs) took 107 ms this way, 179 ms with string-width
 * measuring every cell, 108 ms before string-width was used at all. Controls count one too:
 * safe-text escapes them before they are shown, and a stray one is counted as the character it
 * is rather than shrinking its column.
 * test/ui/text-width.test.ts checks that string-width agrees on every printable one.
 */
export const ONE_COLUMN_RANGES: ReadonlyArray<readonly [first: number, last: number]> = [
  [0x00, 0xac],
  [0xae, 0x2_ff],
  [0x20_10, 0x20_27],
  [0x22_00, 0x22_ff],
  [0x25_00, 0x25_fc],
  [0x27_14, 0x27_14],
  [0x27_16, 0x27_16],
]

const hex = (codePoint: number) => `\\u{${codePoint.toString(16)}}`
const ONE_COLUMN_ONLY = new RegExp(
  `^[${ONE_COLUMN_RANGES.map(([first, last]) => `${hex(first)}-${hex(last)}`).join('')}]*$`,
  'u',
)

let graphemes: Intl.Segmenter | undefined

/** The text's clusters, each with the columns it takes: code points when all take one, else graphemes as string-width measures them. */
function* clusters(plain: string): Generator<[cluster: string, width: number]> {
  if (ONE_COLUMN_ONLY.test(plain)) {
    for (const char of plain) yield [char, 1]
    return
  }

  graphemes ??= new Intl.Segmenter()
  for (const {segment} of graphemes.segment(plain))
    yield [segment, ONE_COLUMN_ONLY.test(segment) ? segment.length : stringWidth(segment)]
}

/** Columns a string takes on a terminal: escape sequences none, wide CJK characters and emoji two. */
export function visibleWidth(text: string): number {
  const plain = stripAnsi(text)
  // Every one-column code point is a single UTF-16 unit.
  if (ONE_COLUMN_ONLY.test(plain)) return plain.length
  let width = 0
  for (const [, columns] of clusters(plain)) width += columns
  return width
}

const ELLIPSIS = '…'
const RESET = '\u001B[0m'

/**
 * Cuts `text` to `width` visible columns, ending in `…` when something was cut. Escape sequences
 * are kept (they take no room) and a reset is added if any were cut through, so colour never leaks.
 * A wide character that would overhang the cut is left out whole.
 */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text
  if (width <= 0) return ''
  let room = width - 1
  let out = ''
  let sawEscape = false
  for (const [index, part] of text.split(ANSI_SPLIT).entries()) {
    if (room === 0) break
    if (index % 2 === 1) {
      out += part
      sawEscape = true
      continue
    }

    for (const [cluster, columns] of clusters(part)) {
      if (columns > room) {
        room = 0
        break
      }

      out += cluster
      room -= columns
    }
  }

  return `${out}${ELLIPSIS}${sawEscape ? RESET : ''}`
}

/** Pads with spaces to `width` visible columns, on the right (left-aligned) or left (right-aligned). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)))
  return align === 'left' ? text + fill : fill + text
}
