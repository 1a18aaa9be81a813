import {expect} from 'chai'

import type {Key} from '../../src/top/top-keys.js'

import {ENTER_SCREEN, LEAVE_SCREEN, TerminalScreen} from '../../src/top/screen.js'
import {FakeInput, FakeOutput} from './top-fixtures.js'

function openScreen() {
  const output = Object.assign(new FakeOutput(), {columns: 40, rows: 5})
  const input = new FakeInput()
  const keys: Key[] = []
  let resizes = 0
  const screen = new TerminalScreen(
    output,
    input,
    (key) => keys.push(key),
    () => resizes++,
  )
  screen.open()
  return {output, input, keys, screen, resizes: () => resizes}
}

describe('top: the screen', () => {
  it('enters the alternate screen with the cursor hidden and reads keys raw', async () => {
    const {output, input, keys, screen} = openScreen()
    expect(output.written).to.deep.equal([ENTER_SCREEN])
    expect(input.isRaw).to.equal(true)
    input.write('q')
    input.write('\u001B[B')
    await new Promise((resolve) => {
      setImmediate(resolve)
    })
    expect(keys.map((key) => key.name)).to.deep.equal(['q', 'down'])
    screen.close()
  })

  it('rewrites only the lines that changed, in one synchronized write per frame', () => {
    const {output, screen} = openScreen()
    screen.draw(['one', 'two', 'three'])
    expect(output.written[1]).to.equal(
      '\u001B[?2026h\u001B[2J\u001B[1;1Hone\u001B[0m\u001B[K\u001B[2;1Htwo\u001B[0m\u001B[K\u001B[3;1Hthree\u001B[0m\u001B[K\u001B[?2026l',
    )
    screen.draw(['one', 'TWO', 'three'])
    expect(output.written[2]).to.equal('\u001B[?2026h\u001B[2;1HTWO\u001B[0m\u001B[K\u001B[?2026l')
    // Nothing changed: nothing written.
    screen.draw(['one', 'TWO', 'three'])
    expect(output.written).to.have.length(3)
    // A shorter frame clears the lines it no longer has.
    screen.draw(['one'])
    expect(output.written[3]).to.equal(
      '\u001B[?2026h\u001B[2;1H\u001B[0m\u001B[K\u001B[3;1H\u001B[0m\u001B[K\u001B[?2026l',
    )
    screen.close()
  })

  it('redraws everything after a resize, and tells the view', () => {
    const {output, screen, resizes} = openScreen()
    screen.draw(['one', 'two'])
    output.columns = 80
    output.emit('resize')
    expect(resizes()).to.equal(1)
    screen.draw(['one', 'two'])
    // eslint-disable-next-line no-control-regex -- the escape sequences are what this matches
    expect(output.written[2]).to.match(/^\u001B\[\?2026h\u001B\[2J\u001B\[1;1Hone.*\u001B\[2;1Htwo/)
    expect(screen.size()).to.deep.equal({columns: 80, rows: 5})
    screen.close()
  })

  it('gives the terminal back once, however often it is closed, and draws nothing after', () => {
    const {output, input, screen, resizes} = openScreen()
    screen.close()
    screen.close()
    expect(output.written.filter((text) => text === LEAVE_SCREEN)).to.have.length(1)
    expect(input.isRaw).to.equal(false)
    screen.draw(['late'])
    output.emit('resize')
    expect(resizes()).to.equal(0)
    expect(output.written.at(-1)).to.equal(LEAVE_SCREEN)
  })
})
