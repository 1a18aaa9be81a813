import {expect} from 'chai'

import {colorEnabled, DEFAULT_WIDTH, detectTerminal, painter, terminalWidth} from '../../src/ui/terminal.js'

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
    expect(detectTerminal({...TTY, rows: 40}, {}).height).to.equal(40)
    expect(detectTerminal({...PIPE, rows: 40}, {})).not.to.have.property('height')
  })

  it('defaults to the process streams', () => {
    expect(detectTerminal().tty).to.equal(process.stdout.isTTY === true)
    expect(terminalWidth()).to.be.greaterThan(0)
  })
})

describe('terminal: painting', () => {
  it('wraps text in SGR codes only when colour is on', () => {
    expect(painter(true)('red', 'failed')).to.equal('\u001B[31mfailed\u001B[39m')
    expect(painter(true)('bold', 'ID')).to.equal('\u001B[1mID\u001B[22m')
    expect(painter(true)('green', '')).to.equal('')
    expect(painter(false)('red', 'failed')).to.equal('failed')
  })
})
