/**
 * What the output stream can show: colour, bars and animation, and how wide it is. Decided once
 * per command from the stream and the environment, then passed to the formatters, so tests can
 * force any combination. Colour codes are written directly: no colour library to import.
 */

export interface OutputStream {
  columns?: number
  isTTY?: boolean
  rows?: number
}

export interface TerminalOptions {
  /** Redrawing in place (spinners, live task lists): a real terminal that is not `TERM=dumb`. */
  animate: boolean
  /** Block-character progress bars and status symbols: a colour terminal only. */
  bars: boolean
  /** ANSI colours. */
  color: boolean
  /** Rows of the terminal, when it says (a live view must not grow taller). */
  height?: number
  /** The stream is a terminal: short IDs, relative layout, fitting to the width. */
  tty: boolean
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

export function detectTerminal(
  stream: OutputStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): TerminalOptions {
  const tty = stream.isTTY === true
  const color = colorEnabled(stream, env)
  return {
    tty,
    color,
    bars: tty && color,
    animate: tty && env.TERM !== 'dumb',
    width: terminalWidth(stream, env),
    ...(tty && positiveInteger(stream.rows) ? {height: positiveInteger(stream.rows)} : {}),
  }
}

export type ColorName = 'blue' | 'cyan' | 'gray' | 'green' | 'magenta' | 'red' | 'yellow'
export type StyleName = 'bold' | 'dim' | ColorName

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

/** CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks, titles). Global: for replace and split, not test. */
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
export const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/g

export function stripAnsi(text: string): string {
  return text.replaceAll(ANSI, '')
}
