/**
 * What the output stream can show: colour, bars and animation, and how wide it is. Decided once
 * per command from the stream and the environment, then passed to the formatters, so tests can
 * force any combination. Colour codes are written directly: no colour library to import.
 */

export interface OutputStream {
  isTTY?: boolean
  columns?: number
}

export interface TerminalOptions {
  /** The stream is a terminal: short IDs, relative layout, fitting to the width. */
  tty: boolean
  /** ANSI colours. */
  color: boolean
  /** Block-character progress bars and status symbols: a colour terminal only. */
  bars: boolean
  /** Redrawing in place (spinners, live task lists): a real terminal that is not `TERM=dumb`. */
  animate: boolean
  /** Visible columns available. */
  width: number
}

export const DEFAULT_WIDTH = 80

/** FORCE_COLOR as the ecosystem reads it: unset → no opinion; `0`/`false` → off; anything else → on. */
function forcedColor(env: NodeJS.ProcessEnv): boolean | undefined {
  const value = env.FORCE_COLOR
  if (value === undefined) return undefined
  return !(value === '0' || value.toLowerCase() === 'false')
}

/** Colour when FORCE_COLOR asks for it, else on a terminal unless NO_COLOR is set (non-empty) or TERM=dumb. */
export function colorEnabled(stream: OutputStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const forced = forcedColor(env)
  if (forced !== undefined) return forced
  if (env.NO_COLOR) return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

function positiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : undefined
}

/** The terminal's columns, else COLUMNS, else 80. */
export function terminalWidth(stream: OutputStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  return positiveInteger(stream.columns) ?? positiveInteger(env.COLUMNS) ?? DEFAULT_WIDTH
}

export function detectTerminal(stream: OutputStream = process.stdout, env: NodeJS.ProcessEnv = process.env): TerminalOptions {
  const tty = stream.isTTY === true
  const color = colorEnabled(stream, env)
  return {
    tty,
    color,
    bars: tty && color,
    animate: tty && env.TERM !== 'dumb',
    width: terminalWidth(stream, env),
  }
}

export type ColorName = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray'
export type StyleName = ColorName | 'bold' | 'dim'

const SGR: Readonly<Record<StyleName, [open: number, close: number]>> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
}

export type Paint = (style: StyleName, text: string) => string

/** A painter that wraps text in ANSI codes, or leaves it untouched when colour is off. */
export function painter(color: boolean): Paint {
  if (!color) return (_style, text) => text
  return (style, text) => {
    if (text === '') return text
    const [open, close] = SGR[style]
    return `\u001B[${open}m${text}\u001B[${close}m`
  }
}

/** CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles). */
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/g

/** The same, anchored at lastIndex: is there an escape sequence right here? */
const ANSI_HERE = new RegExp(ANSI.source, 'y')

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/**
 * Columns a string takes. Counts code points, not UTF-16 units, so the bar and symbol characters
 * count as one; wide (CJK) characters are not special-cased: job fields are ASCII in practice.
 */
export function visibleWidth(text: string): number {
  let width = 0
  for (const _ of stripAnsi(text)) width++
  return width
}

const ELLIPSIS = '…'
const RESET = '\u001B[0m'

/**
 * Cuts `text` to `width` visible columns, ending in `…` when something was cut. Escape sequences
 * are kept (they take no room) and a reset is added if any were cut through, so colour never leaks.
 */
export function truncate(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text
  if (width <= 0) return ''
  const keep = width - 1
  let out = ''
  let visible = 0
  let sawEscape = false
  let index = 0
  while (index < text.length && visible < keep) {
    ANSI_HERE.lastIndex = index
    const escape = ANSI_HERE.exec(text)
    if (escape) {
      out += escape[0]
      sawEscape = true
      index += escape[0].length
      continue
    }

    const char = String.fromCodePoint(text.codePointAt(index)!)
    out += char
    visible++
    index += char.length
  }

  return `${out}${ELLIPSIS}${sawEscape ? RESET : ''}`
}

/** Pads with spaces to `width` visible columns, on the right (left-aligned) or left (right-aligned). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)))
  return align === 'left' ? text + fill : fill + text
}
