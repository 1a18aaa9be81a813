import {expect} from 'chai'

import type {TopViewState} from '../../src/top/top-view.js'

import {handleKey, type Key} from '../../src/top/top-keys.js'
import {numberedJob as job, viewState} from './top-fixtures.js'

const named = (name: string): Key => ({name, sequence: name.length === 1 ? name : undefined})
const char = (sequence: string): Key => ({sequence, name: /^[a-z]$/.test(sequence) ? sequence : undefined})

/** Types the keys one after the other; returns the last effect. */
function press(state: TopViewState, ...keys: Key[]) {
  let effect
  for (const key of keys) effect = handleKey(state, key, 5)
  return effect
}

const selectedN = (state: TopViewState) => Number(state.model.selectedJob!.job_id.slice(0, 8))

describe('top: the keys', () => {
  it('moves with the arrows, j/k and PgUp/PgDn', () => {
    const state = viewState(Array.from({length: 12}, (_, n) => job(n + 1)))
    press(state, named('down'), char('j'))
    expect(selectedN(state)).to.equal(10)
    press(state, named('pagedown'))
    expect(selectedN(state)).to.equal(5)
    press(state, named('up'), char('k'), named('pageup'))
    expect(selectedN(state)).to.equal(12)
  })

  it('opens the details with Enter, closes them and the help with Esc, toggles the help with ?', () => {
    const state = viewState([job(1)])
    press(state, named('return'))
    expect(state.pane).to.equal('detail')
    press(state, named('escape'))
    expect(state.pane).to.equal('list')
    press(state, char('?'))
    expect(state.pane).to.equal('help')
    press(state, char('?'))
    expect(state.pane).to.equal('list')
    press(viewState([]), named('return'))
  })

  it('asks before cancelling the selected job: y cancels, anything else does not', () => {
    const state = viewState([job(1)])
    expect(press(state, char('c'))).to.equal(undefined)
    expect(state.prompt).to.deep.equal({kind: 'confirm', job: job(1)})
    expect(press(state, char('n'))).to.equal(undefined)
    expect(state.prompt).to.equal(undefined)
    expect(state.message).to.equal('Nothing cancelled.')
    expect(press(state, char('c'), char('y'))).to.deep.equal({type: 'cancel', job: job(1)})
    expect(state.message).to.equal('Cancelling job 00000001…')
  })

  it('does not offer to cancel a job that has ended, or none', () => {
    const state = viewState([job(1, {status: 'failed'})])
    state.model.toggleAll()
    press(state, char('c'))
    expect(state.prompt).to.equal(undefined)
    expect(state.message).to.equal('Job 00000001 has already ended (failed).')
    const empty = viewState([])
    press(empty, char('c'))
    expect(empty.message).to.equal('No job selected.')
  })

  it('edits the filter in its prompt: Enter applies it, Esc clears it, a bad one is explained and stays open', () => {
    const state = viewState([job(1, {repository: 'alpha'}), job(2, {repository: 'beta'})])
    press(state, char('/'), ...[...'repo:alphx'].map((one) => char(one)), named('backspace'), char('a'))
    expect(state.prompt).to.deep.equal({kind: 'filter', text: 'repo:alpha'})
    // Control keys are not typed into the prompt.
    press(state, {name: 'a', ctrl: true, sequence: '\u0001'}, named('tab'))
    press(state, named('return'))
    expect(state.prompt).to.equal(undefined)
    expect(state.message).to.equal('Filter: repo:alpha (1 jobs)')
    expect(selectedN(state)).to.equal(1)
    press(state, char('/'))
    expect(state.prompt).to.deep.equal({kind: 'filter', text: 'repo:alpha'})
    press(state, named('escape'))
    expect(state.model.rows()).to.have.length(2)
    expect(state.message).to.equal('Filter cleared.')
    press(state, char('/'), ...[...'colour:red'].map((one) => char(one)), named('return'))
    expect(state.prompt).to.deep.include({kind: 'filter'})
    expect(state.message).to.match(/^Unknown filter "colour"/)
    press(state, named('backspace'))
    press(state, ...Array.from({length: 10}, () => named('backspace')), named('return'))
    expect(state.message).to.equal('Filter cleared.')
  })

  it('sorts, toggles active/all, refreshes and quits; Ctrl-C interrupts from anywhere', () => {
    const state = viewState([job(1)])
    press(state, char('s'))
    expect(state.model.sort.key).to.equal('progress')
    press(state, char('a'))
    expect(state.model.showAll).to.equal(true)
    expect(press(state, char('r'))).to.deep.equal({type: 'refresh'})
    expect(press(state, char('q'))).to.deep.equal({type: 'quit'})
    press(state, char('/'))
    expect(press(state, {name: 'c', ctrl: true})).to.deep.equal({type: 'interrupt'})
  })
})
