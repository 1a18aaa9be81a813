/**
 * The terminal as `jobs top` uses it: the alternate screen with the cursor hidden, keys read raw,
 * and frames drawn as differences (only the lines that changed are rewritten, inside one
 * synchronized update, so nothing flickers). Closing restores the terminal as it was; it runs
 * however the view ends (quit, Ctrl-C, SIGTERM, a crash), and once only.
 */
import {emitKeypressEvents} from 'node:readline'

import type {Key} from './top-keys.js'
import type {ScreenSize} from './top-view.js'

/** What the screen needs of stdout: a terminal that reports its size and says when it changes. */
export interface ScreenOutput {
  columns?: number
  off(event: 'resize', listener: () => void): unknown
  on(event: 'resize', listener: () => void): unknown
  rows?: number
  write(text: string): unknown
}

/** What the screen needs of stdin: a terminal that can be put in raw mode. */
export interface ScreenInput extends NodeJS.ReadableStream {
  isRaw?: boolean
  setRawMode?(mode: boolean): unknown
}

const CSI = '\u001B['
export const ENTER_SCREEN = `${CSI}?1049h${CSI}?25l${CSI}2J`
export const LEAVE_SCREEN = `${CSI}0m${CSI}?25h${CSI}?1049l`
const BEGIN_UPDATE = `${CSI}?2026h`
const END_UPDATE = `${CSI}?2026l`

export class TerminalScreen {
  private closed = false
  private drawnSize: ScreenSize | undefined
  private readonly onKeypress = (_text: string | undefined, key: Key | undefined) => {
    if (key) this.keys(key)
  }
  private previous: string[] = []
  private readonly wasRaw: boolean

  constructor(
    private readonly output: ScreenOutput,
    private readonly input: ScreenInput,
    private readonly keys: (key: Key) => void,
    private readonly resized: () => void,
  ) {
    this.wasRaw = input.isRaw === true
  }

  /** Gives the terminal back as it was. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.input.off('keypress', this.onKeypress)
    this.output.off('resize', this.resized)
    this.input.setRawMode?.(this.wasRaw)
    this.input.pause()
    this.output.write(LEAVE_SCREEN)
  }

  /** Draws a frame: rewrites the lines that differ from the last frame; everything after a resize. */
  draw(lines: readonly string[]): void {
    if (this.closed) return
    const size = this.size()
    let text = ''
    if (this.drawnSize?.columns !== size.columns || this.drawnSize.rows !== size.rows) {
      text += `${CSI}2J`
      this.previous = []
      this.drawnSize = size
    }

    const count = Math.max(lines.length, this.previous.length)
    for (let index = 0; index < count; index++) {
      const line = lines[index] ?? ''
      if (line === this.previous[index]) continue
      text += `${CSI}${index + 1};1H${line}${CSI}0m${CSI}K`
    }

    this.previous = [...lines]
    if (text) this.output.write(`${BEGIN_UPDATE}${text}${END_UPDATE}`)
  }

  /** Switches to the alternate screen and starts reading keys. */
  open(): void {
    this.output.write(ENTER_SCREEN)
    emitKeypressEvents(this.input)
    this.input.setRawMode?.(true)
    this.input.on('keypress', this.onKeypress)
    this.input.resume()
    this.output.on('resize', this.resized)
  }

  size(): ScreenSize {
    return {columns: this.output.columns ?? 80, rows: this.output.rows ?? 24}
  }
}
