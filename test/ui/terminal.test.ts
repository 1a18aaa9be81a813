import {expect} from 'chai'

import {
  colorEnabled,
  DEFAULT_WIDTH,
  detectTerminal,
  pad,
  painter,
  stripAnsi,
  terminalWidth,
  truncate,
  visibleWidth,
} from '../../src/ui/terminal.js'

const TTY = {isTTY: true, columns: 120}
const PIPE = {isTTY: false}

describe('terminal: colour decision', () => {
  it('colours a terminal, not a pipe', () => {
    expect(colorEnabled(TTY, {})).to.equal(true)
    expect(colorEnabled(PIPE, {})).to.equal(false)
    expect(colorEnabled({}, {})).to.equal(false)
  })

  it('NO_COLOR (non-empty) and TERM=dumb turn it off on a terminal', () => {
    expect(colorEnabled(TTY, {NO_COLOR: '1'})).to.equal(false)
    expect(colorEnabled(TTY, {NO_COLOR: ''})).to.equal(true)
    expect(colorEnabled(TTY, {TERM: 'dumb'})).to.equal(false)
  })

  it('FORCE_COLOR wins either way; 0 and false mean off', () => {
    expect(colorEnabled(PIPE, {FORCE_COLOR: '1'})).to.equal(true)
    expect(colorEnabled(PIPE, {FORCE_COLOR: ''})).to.equal(true)
    expect(colorEnabled(TTY, {FORCE_COLOR: '1', NO_COLOR: '1'})).to.equal(true)
    expect(colorEnabled(TTY, {FORCE_COLOR: '0'})).to.equal(false)
    expect(colorEnabled(TTY, {FORCE_COLOR: 'false'})).to.equal(false)
  })

  it('reads process.stdout and process.env by default', () => {
    const saved = process.env.FORCE_COLOR
    try {
      process.env.FORCE_COLOR = '1'
      expect(colorEnabled()).to.equal(true)
      process.env.FORCE_COLOR = '0'
      expect(colorEnabled()).to.equal(false)
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR
      else process.env.FORCE_COLOR = saved
    }
  })
})

describe('terminal: width and detection', () => {
  it('uses the stream columns, then COLUMNS, then 80', () => {
    expect(terminalWidth(TTY, {COLUMNS: '90'})).to.equal(120)
    expect(terminalWidth(PIPE, {COLUMNS: '90'})).to.equal(90)
    expect(terminalWidth({isTTY: true, columns: 0}, {COLUMNS: 'wide'})).to.equal(DEFAULT_WIDTH)
    expect(terminalWidth(PIPE, {COLUMNS: '-3'})).to.equal(DEFAULT_WIDTH)
  })

  it('bars need a colour terminal; animation needs a real terminal', () => {
    expect(detectTerminal(TTY, {})).to.deep.equal({tty: true, color: true, bars: true, animate: true, width: 120})
    expect(detectTerminal(TTY, {NO_COLOR: '1'})).to.include({tty: true, color: false, bars: false, animate: true})
    expect(detectTerminal(TTY, {TERM: 'dumb'})).to.include({color: false, bars: false, animate: false})
    expect(detectTerminal(PIPE, {FORCE_COLOR: '1'})).to.include({tty: false, color: true, bars: false, animate: false})
  })

  it('defaults to the process streams', () => {
    expect(detectTerminal().tty).to.equal(process.stdout.isTTY === true)
    expect(terminalWidth()).to.be.greaterThan(0)
  })
})

describe('terminal: painting and measuring', () => {
  it('wraps text in SGR codes only when colour is on', () => {
    expect(painter(true)('red', 'failed')).to.equal('\u001B[31mfailed\u001B[39m')
    expect(painter(true)('bold', 'ID')).to.equal('\u001B[1mID\u001B[22m')
    expect(painter(true)('green', '')).to.equal('')
    expect(painter(false)('red', 'failed')).to.equal('failed')
  })

  it('strips colour and hyperlink sequences and counts code points', () => {
    const text = `${painter(true)('green', '✔ done')} \u001B]8;;https://x.test\u0007link\u001B]8;;\u0007`
    expect(stripAnsi(text)).to.equal('✔ done link')
    expect(visibleWidth(text)).to.equal(11)
    expect(visibleWidth('████▌░')).to.equal(6)
  })

  it('truncates to the visible width with an ellipsis, keeping codes and resetting colour', () => {
    expect(truncate('repository', 20)).to.equal('repository')
    expect(truncate('repository', 6)).to.equal('repos…')
    expect(truncate('abc', 0)).to.equal('')
    const cut = truncate(painter(true)('blue', 'running job'), 5)
    expect(stripAnsi(cut)).to.equal('runn…')
    expect(cut.startsWith('\u001B[34m')).to.equal(true)
    expect(cut.endsWith('\u001B[0m')).to.equal(true)
  })

  it('treats a lone escape character as text', () => {
    expect(truncate('\u001Bxyz-long', 4)).to.equal('\u001Bxy…')
  })

  it('pads to the visible width on either side', () => {
    const red = painter(true)('red', 'ab')
    expect(stripAnsi(pad(red, 5))).to.equal('ab   ')
    expect(pad('ab', 5, 'right')).to.equal('   ab')
    expect(pad('abcdef', 3)).to.equal('abcdef')
  })
})
