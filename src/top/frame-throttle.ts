/**
 * At most one frame per interval however many updates arrive: the first update after a quiet
 * spell draws at once, the ones after it are folded into one frame at the end of the interval.
 */

/** 10 frames a second at most. */
export const FRAME_INTERVAL_MS = 100

export interface FrameClock {
  cancel(timer: unknown): void
  now(): number
  schedule(callback: () => void, delayMs: number): unknown
}

const realClock: FrameClock = {
  now: () => performance.now(),
  schedule: (callback, delayMs) => setTimeout(callback, delayMs),
  cancel: (timer) => clearTimeout(timer as NodeJS.Timeout),
}

export class FrameThrottle {
  /** Frames drawn so far (the benchmark's frame rate). */
  frames = 0
  private lastFrameAt = -Infinity
  private pending: unknown

  constructor(
    private readonly draw: () => void,
    private readonly intervalMs: number = FRAME_INTERVAL_MS,
    private readonly clock: FrameClock = realClock,
  ) {}

  /** Something changed: a frame now, or at the end of the interval when one was drawn lately. */
  request(): void {
    if (this.pending !== undefined) return
    const wait = this.lastFrameAt + this.intervalMs - this.clock.now()
    if (wait <= 0) {
      this.drawNow()
      return
    }

    this.pending = this.clock.schedule(() => {
      this.pending = undefined
      this.drawNow()
    }, wait)
  }

  /** No frame after this one (the view is closing). */
  stop(): void {
    if (this.pending !== undefined) this.clock.cancel(this.pending)
    this.pending = undefined
  }

  private drawNow(): void {
    this.lastFrameAt = this.clock.now()
    this.frames++
    this.draw()
  }
}
