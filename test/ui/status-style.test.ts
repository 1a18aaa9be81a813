import {expect} from 'chai'

import {formatSelection} from '../../src/cancel/cancel-render.js'
import {KNOWN_STATUSES} from '../../src/jobs/job.js'
import {formatJobDetails} from '../../src/ui/job-details.js'
import {renderJobTable} from '../../src/ui/job-table.js'
import {formatStatus, statusMark, statusStyle} from '../../src/ui/status-style.js'
import {painter} from '../../src/ui/terminal.js'
import {createRenderer} from '../../src/watch/watch-render.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {Collect, jobEvent, Screen} from '../helpers/fixtures/render-fixtures.js'

const COLOUR_TERMINAL = {color: true, bars: true}
const PIPE = {color: false, bars: false}

describe('status-style: one look per status', () => {
  it('gives every known status its own symbol and a colour', () => {
    const symbols = KNOWN_STATUSES.map((status) => statusStyle(status)?.symbol)
    expect(symbols.every((symbol) => typeof symbol === 'string' && symbol.length === 1)).to.equal(true)
    expect(new Set(symbols).size).to.equal(KNOWN_STATUSES.length)
  })

  it('renders symbol and colour on a colour terminal', () => {
    expect(formatStatus('completed', COLOUR_TERMINAL)).to.equal('\u001B[32m✔ completed\u001B[39m')
    expect(formatStatus('failed', COLOUR_TERMINAL)).to.equal('\u001B[31m✖ failed\u001B[39m')
  })

  it('renders the bare status when not on a terminal', () => {
    for (const status of KNOWN_STATUSES) expect(formatStatus(status, PIPE)).to.equal(status)
  })

  it('colours the bare status when colour is forced into a pipe', () => {
    expect(formatStatus('running', {color: true, bars: false})).to.equal('\u001B[34mrunning\u001B[39m')
  })

  it('shows an unknown status plainly, aligned behind a blank symbol', () => {
    expect(statusStyle('paused')).to.equal(undefined)
    expect(statusStyle('constructor')).to.equal(undefined)
    expect(formatStatus('paused', COLOUR_TERMINAL)).to.equal('  paused')
    expect(formatStatus('paused', PIPE)).to.equal('paused')
  })

  it('gives a live view the symbol alone, in its colour, and a blank for an unknown status', () => {
    expect(statusMark('cancelled', true)).to.equal('\u001B[35m⊘\u001B[39m')
    expect(statusMark('running', false)).to.equal('●')
    expect(statusMark('paused', true)).to.equal(' ')
  })
})

describe('status-style: every view takes its look from the one table', () => {
  const paint = painter(true)
  for (const status of KNOWN_STATUSES) {
    const {symbol, color} = statusStyle(status)!
    const job = makeJob({status})

    it(`${status}: ${symbol} in ${color} in the list and cancel tables, the details and the live watch; its word in a pipe`, async () => {
      const look = paint(color, `${symbol} ${status}`)
      const terminal = {tty: true, color: true, bars: true, animate: true, width: 200}
      expect(renderJobTable([job], {showUser: false, terminal}).join('\n'), 'jobs list').to.include(look)
      expect(formatJobDetails(job, terminal).join('\n'), 'jobs status').to.include(look)
      expect(formatSelection([job], {tty: true, color: true, width: 200}).join('\n'), 'jobs cancel').to.include(look)
      const screen = new Screen()
      const live = await createRenderer('tty', {out: screen, err: new Collect(), color: true, width: 200})
      live.handle(jobEvent(job))
      await live.close(new Error('stopped'))
      expect(screen.raw, 'jobs watch on a terminal').to.include(`${paint(color, symbol)} 3f0c9a52`)
      const piped = new Collect()
      const plain = await createRenderer('plain', {out: piped, err: new Collect()})
      plain.handle(jobEvent(job))
      expect(piped.text, 'jobs watch in a pipe').to.include(`  ${status}  `)
    })
  }
})
