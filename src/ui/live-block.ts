/**
 * A block of lines redrawn in place at the bottom of a terminal: the live view of `jobs watch`.
 * Each line is cut to the width, so none wraps and the block always knows how many rows it covers;
 * redraws come at most every MIN_GAP_MS however often the lines change; the cursor is hidden while
 * the block lives and shown again when it ends.
 */
import {truncate} from './text-width.js'

export interface LiveSink {
  write(text: string): unknown
}

const HIDE_CURSOR = '\u001B[?25l'
const SHOW_CURSOR = '\u001B[?25h'
/** Erases from the cursor to the end of the screen. */
const ERASE_DOWN = '\u001B[J'
/** Fast enough to look live, slow enough that a chatty job does not flood the terminal. */
const MIN_GAP_MS = 50

export class LiveBlock {
  private drawnAt = 0
  private drawnRows = 0
  private drawnYet = false
  private ended = false
  private latest: readonly string[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly out: LiveSink,
    private readonly width: number,
  ) {}

  /**
   * Something printed above the block for good (a job that ended, a notice on stderr, which
   * shares the screen): the block moves below it, redrawn at once with `lines`.
   */
  above(print: () => void, lines: readonly string[] = this.latest): void {
    if (this.ended) {
      print()
      return
    }

    this.out.write(this.erase())
    this.drawnRows = 0
    print()
    this.latest = lines
    clearTimeout(this.timer)
    this.draw()
  }

  /** Draws `lines` for good (now) and gives the cursor back; later calls change nothing. */
  end(lines: readonly string[]): void {
    if (this.ended) return
    this.latest = lines
    this.draw()
    this.ended = true
    clearTimeout(this.timer)
    this.out.write(SHOW_CURSOR)
  }

  /** The lines to show from now on: drawn at once, or at the end of the current gap. */
  show(lines: readonly string[]): void {
    if (this.ended) return
    this.latest = lines
    if (this.timer) return
    const wait = this.drawnAt + MIN_GAP_MS - Date.now()
    if (wait <= 0) {
      this.draw()
      return
    }

    this.timer = setTimeout(() => this.draw(), wait)
    // A pending redraw never keeps the process alive: end() draws the last lines anyway.
    this.timer.unref()
  }

  private draw(): void {
    this.timer = undefined
    this.drawnAt = Date.now()
    // One column short of the width: some terminals wrap on writing the last column.
    const rows = this.latest.map((line) => `${truncate(line, Math.max(1, this.width - 1))}\n`)
    const prefix = this.drawnYet ? '' : HIDE_CURSOR
    this.drawnYet = true
    this.out.write(prefix + this.erase() + rows.join(''))
    this.drawnRows = rows.length
  }

  /** Back to the block's first row, and the old block gone. */
  private erase(): string {
    return this.drawnRows > 0 ? `\u001B[${this.drawnRows}F${ERASE_DOWN}` : ''
  }
}
