import {expect} from 'chai'
import {getEventListeners} from 'node:events'

import {untilAborted} from '../../src/support/abort.js'

class Stopped extends Error {}

const stopped = (signal: AbortSignal) => new Stopped(`stopped: ${String(signal.reason)}`)
/** Work that never settles: only the signal can end the race. */
const hanging = () => new Promise<never>(() => {})

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }

  throw new Error('expected a rejection')
}

describe('support/abort: untilAborted', () => {
  it('settles like the work when the signal stays quiet, or when there is none', async () => {
    const controller = new AbortController()
    expect(await untilAborted(Promise.resolve(7), controller.signal, stopped)).to.equal(7)
    expect(await untilAborted(Promise.resolve('no signal'), undefined, stopped)).to.equal('no signal')
    const failure = new Error('the work failed')
    expect(await rejection(untilAborted(Promise.reject(failure), controller.signal, stopped))).to.equal(failure)
  })

  it('rejects with the error made for the signal as soon as it aborts, the work still pending', async () => {
    const controller = new AbortController()
    const race = untilAborted(hanging(), controller.signal, stopped)
    controller.abort('Ctrl-C')
    const error = await rejection(race)
    expect(error).to.be.instanceOf(Stopped)
    expect((error as Error).message).to.equal('stopped: Ctrl-C')
  })

  it('rejects at once when the signal has already aborted', async () => {
    const error = await rejection(untilAborted(hanging(), AbortSignal.abort('earlier'), stopped))
    expect((error as Error).message).to.equal('stopped: earlier')
  })

  it('leaves no listener on the signal, whichever side wins', async () => {
    const controller = new AbortController()
    await untilAborted(Promise.resolve(1), controller.signal, stopped)
    await rejection(untilAborted(Promise.reject(new Error('x')), controller.signal, stopped))
    expect(getEventListeners(controller.signal, 'abort')).to.have.length(0)
  })

  it('ignores the work failing after the signal won: no unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const controller = new AbortController()
      let fail!: (error: Error) => void
      const work = new Promise<never>((_, reject) => {
        fail = reject
      })
      const race = untilAborted(work, controller.signal, stopped)
      controller.abort()
      await rejection(race)
      fail(new Error('too late'))
      await new Promise((resolve) => {
        setTimeout(resolve, 20)
      })
      expect(unhandled).to.deep.equal([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
