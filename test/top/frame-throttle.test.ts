import {expect} from 'chai'

import {type FrameClock, FrameThrottle} from '../../src/top/frame-throttle.js'

/** A clock the test moves by hand, and the timers scheduled on it. */
function manualClock() {
  let now = 0
  const timers = new Map<number, {at: number; callback: () => void}>()
  let next = 0
  const clock: FrameClock = {
    now: () => now,
    schedule(callback, delayMs) {
      timers.set(++next, {at: now + delayMs, callback})
      return next
    },
    cancel: (timer) => timers.delete(timer as number),
  }
  const advance = (ms: number) => {
    now += ms
    for (const [id, timer] of timers) {
      if (timer.at > now) continue
      timers.delete(id)
      timer.callback()
    }
  }

  return {clock, advance, timers}
}

describe('top: frame throttling', () => {
  it('draws the first change at once and folds a burst into one frame per interval', () => {
    const {clock, advance} = manualClock()
    let drawn = 0
    const throttle = new FrameThrottle(() => drawn++, 100, clock)
    throttle.request()
    expect(drawn).to.equal(1)
    // A thousand changes within the next second: ten more frames, not a thousand.
    for (let ms = 0; ms < 1000; ms++) {
      throttle.request()
      advance(1)
    }

    expect(drawn).to.equal(11)
    expect(throttle.frames).to.equal(11)
  })

  it('draws nothing after stop', () => {
    const {clock, advance, timers} = manualClock()
    let drawn = 0
    const throttle = new FrameThrottle(() => drawn++, 100, clock)
    throttle.request()
    throttle.request()
    throttle.stop()
    advance(500)
    expect(drawn).to.equal(1)
    expect(timers.size).to.equal(0)
  })
})
