import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {normalizeHealth} from '../../src/health/server-health.js'
import {parseFilter} from '../../src/top/top-filter.js'
import {FOOTER_KEYS, renderTop, SHORT_FOOTER_KEYS, type TopViewState} from '../../src/top/top-view.js'
import {visibleWidth} from '../../src/ui/text-width.js'
import {realHealthBody} from '../helpers/fixtures/health-fixtures.js'
import {ESCAPED_TITLE, expectNoRawControls, withHostileTexts} from '../helpers/fixtures/hostile-text.js'
import {numberedJob as job, viewState} from './top-fixtures.js'

const PLAIN = {color: false, bars: false}
const COLOUR = {color: true, bars: true}
const NOW = new Date('2026-11-28T09:20:00.000Z')

/** The view of these jobs, the server healthy. */
function healthyView(jobs: Job[], overrides: Partial<TopViewState> = {}): TopViewState {
  const state = viewState(jobs, overrides)
  state.status.health = normalizeHealth({status: 'healthy'})
  return state
}

/** The line above the footer of a 10-line frame. */
const at = (lines: string[]) => lines[8]

describe('top: the frame', () => {
  it('fills an 80x24 terminal exactly: header, table, notice, short footer', () => {
    const jobs = Array.from({length: 40}, (_, n) => job(n, {status: n % 5 === 0 ? 'queued' : 'running'}))
    const lines = renderTop(healthyView(jobs), {columns: 80, rows: 24}, PLAIN, NOW)
    expect(lines).to.have.length(24)
    for (const line of lines) expect(visibleWidth(line)).to.be.at.most(80)
    expect(lines[0]).to.equal('cidx jobs top  https://cidx.example.com  alice  push  updated 10:15:30')
    expect(lines[1]).to.equal('running 32  queued 8  failed 0  completed 0  cancelled 0')
    expect(lines[2]).to.equal('active 40   sort -created   health healthy')
    expect(lines[3]).to.match(/^ {2}ID +TYPE +STATUS +PROGRESS/)
    // The newest first, selected; 18 rows fit.
    expect(lines[4]).to.match(/^> 00000039 {2}sync_repository {2}running/)
    expect(lines[21]).to.match(/^ {2}00000022 /)
    expect(lines[22]).to.equal('Press ? for help.')
    expect(lines[23]).to.equal(SHORT_FOOTER_KEYS)
  })

  it('shows the full footer and the USER column when there is room and a reason', () => {
    const lines = renderTop(
      healthyView([job(1, {user_id: 'bob'})], {showUser: true}),
      {columns: 120, rows: 10},
      PLAIN,
      NOW,
    )
    expect(lines[3]).to.match(/USER$/)
    expect(lines[4]).to.match(/bob$/)
    expect(lines[9]).to.equal(FOOTER_KEYS)
  })

  it('marks the selected row in reverse video on a colour terminal, and never colours with NO_COLOR', () => {
    const state = healthyView([job(1), job(2)])
    const coloured = renderTop(state, {columns: 120, rows: 10}, COLOUR, NOW)
    // eslint-disable-next-line no-control-regex -- the escape sequences are what this matches
    expect(coloured[4]).to.match(/^\u001B\[7m> 00000002 .*\u001B\[27m/)
    expect(coloured[4]).to.contain('● ')
    const plain = renderTop(state, {columns: 120, rows: 10}, PLAIN, NOW).join('\n')
    // eslint-disable-next-line no-control-regex -- no escape sequence at all
    expect(plain).not.to.match(/\u001B/)
  })

  it('says when nothing is active or nothing matches the filter, and shows the filter and the view in the header', () => {
    const state = healthyView([job(1, {status: 'failed'})])
    expect(renderTop(state, {columns: 100, rows: 10}, PLAIN, NOW)[3]).to.equal(
      'No active jobs.  a shows all recent jobs.',
    )
    state.model.toggleAll()
    state.model.setFilter(parseFilter('repo:frontend'))
    const lines = renderTop(state, {columns: 120, rows: 10}, PLAIN, NOW)
    expect(lines[2]).to.equal('all 0   sort -created   filter repo:frontend   health healthy')
    expect(lines[3]).to.equal('No jobs match the filter.  a shows active jobs.')
  })

  it('shows the detail pane of the selected job, and the help', () => {
    const state = healthyView([job(1, {error_message: null})], {pane: 'detail'})
    const detail = renderTop(state, {columns: 100, rows: 30}, PLAIN, NOW)
    expect(detail[3]).to.equal('Job 00000001   Esc back  c cancel')
    expect(detail).to.include('Job         00000001-0000-4000-8000-000000000000')
    expect(detail).to.include('Step        semantic 210/500')
    state.pane = 'help'
    const help = renderTop(state, {columns: 100, rows: 30}, PLAIN, NOW)
    expect(help[3]).to.equal('Keys')
    expect(help.some((line) => line.includes('Esc or ? closes this help.'))).to.equal(true)
    state.pane = 'detail'
    state.model.forget(job(1).job_id)
    expect(renderTop(state, {columns: 100, rows: 30}, PLAIN, NOW)[3]).to.equal(
      'The job is no longer in view.  Esc back',
    )
  })

  it('shows the prompt being answered or the last message, and a connection notice in the title', () => {
    const target = job(1)
    const state = healthyView([target], {prompt: {kind: 'confirm', job: target}})
    expect(at(renderTop(state, {columns: 100, rows: 10}, PLAIN, NOW))).to.equal(
      'Cancel job 00000001 (sync_repository, backend, running)? y/N',
    )
    state.prompt = {kind: 'filter', text: 'type:sync'}
    expect(at(renderTop(state, {columns: 100, rows: 10}, PLAIN, NOW))).to.equal('/type:sync█   Enter apply  Esc clear')
    state.prompt = undefined
    state.status.connection = 'Reconnecting to the server (connect ECONNREFUSED)…'
    const lines = renderTop(state, {columns: 120, rows: 10}, PLAIN, NOW)
    expect(lines[0]).to.equal(
      'cidx jobs top  https://cidx.example.com  alice  push  Reconnecting to the server (connect ECONNREFUSED)…',
    )
    expect(at(lines)).to.equal('Press ? for help.')
  })

  it('shows what the health says is wrong, and why it could not be read', () => {
    const state = healthyView([], {health: undefined} as Partial<TopViewState>)
    state.status.health = normalizeHealth(realHealthBody())
    const degraded = renderTop(state, {columns: 200, rows: 10}, PLAIN, NOW)[2]
    expect(degraded).to.match(/health degraded/)
    state.status.health = 'connect ECONNREFUSED'
    expect(renderTop(state, {columns: 200, rows: 10}, PLAIN, NOW)[2]).to.contain(
      'health unknown (connect ECONNREFUSED)',
    )
    state.status.health = null
    expect(renderTop(state, {columns: 200, rows: 10}, PLAIN, NOW)[2]).to.contain('health …')
  })

  it("escapes every text of the server's, in the table, the details, the prompt and the header", () => {
    const evil = withHostileTexts(job(1))
    const state = healthyView([{...evil, status: 'running'}], {showUser: true})
    state.status.server = `https://x${ESCAPED_TITLE}`
    state.status.user = `alice\u001B]0;pwned\u0007`
    for (const pane of ['list', 'detail'] as const) {
      state.pane = pane
      state.prompt = {kind: 'confirm', job: evil}
      const text = renderTop(state, {columns: 400, rows: 40}, COLOUR, NOW).join('\n')
      // eslint-disable-next-line no-control-regex -- the escape sequences are what this matches
      expectNoRawControls(text.replaceAll(/\u001B\[(7|27)m/g, ''), pane, {ownColours: true})
      expect(text).to.contain(ESCAPED_TITLE)
    }
  })
})
