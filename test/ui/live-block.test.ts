import {expect} from 'chai'

import {LiveBlock} from '../../src/ui/live-block.js'
import {painter} from '../../src/ui/terminal.js'
import {Screen} from '../helpers/fixtures/render-fixtures.js'

const pause = () =>
  new Promise((resolve) => {
    setTimeout(resolve, 80)
  })

describe('ui/live-block', () => {
  it('redraws its lines in place, hiding the cursor while it lives and showing it again at the end', async () => {
    const screen = new Screen()
    screen.write('$ cidx jobs watch\n')
    const block = new LiveBlock(screen, 80)
    block.show(['one', 'two', 'three'])
    expect(screen.cursorShown).to.equal(false)
    await pause()
    block.show(['one, changed'])
    await pause()
    expect(screen.lines).to.deep.equal(['$ cidx jobs watch', 'one, changed'])
    block.end(['one, done', 'two, done'])
    expect(screen.lines).to.deep.equal(['$ cidx jobs watch', 'one, done', 'two, done'])
    expect(screen.cursorShown).to.equal(true)
    // Ended: nothing changes any more.
    block.show(['late'])
    block.end(['later'])
    await pause()
    expect(screen.lines).to.deep.equal(['$ cidx jobs watch', 'one, done', 'two, done'])
  })

  it('keeps what is printed above it (a notice) and moves below it', async () => {
    const screen = new Screen()
    const block = new LiveBlock(screen, 80)
    block.show(['job a', 'job b'])
    block.above(() => screen.write('cidx: a notice\n'))
    block.end(['job a', 'job b'])
    expect(screen.lines).to.deep.equal(['cidx: a notice', 'job a', 'job b'])
    block.above(() => screen.write('after the end\n'))
    expect(screen.lines).to.deep.equal(['cidx: a notice', 'job a', 'job b', 'after the end'])
  })

  it('cuts each line one column short of the width, colours included, so that none wraps', () => {
    const screen = new Screen()
    const block = new LiveBlock(screen, 10)
    block.end([painter(true)('red', 'x'.repeat(30)), 'short'])
    expect(screen.lines).to.deep.equal(['xxxxxxxx…', 'short'])
  })
})
