import {expect} from 'chai'

import {formatJobDetails, formatResult} from '../../src/ui/job-details.js'
import {stripAnsi} from '../../src/ui/terminal.js'
import {
  ATTACKS,
  ESCAPED_TITLE,
  expectNoRawControls,
  hostile,
  withHostileTexts,
} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

const NOW = new Date('2026-11-28T09:17:03.010Z')
const PLAIN = {color: false, bars: false}
const COLOUR = {color: true, bars: true}

function field(lines: string[], label: string): string | undefined {
  const line = lines.map((line) => stripAnsi(line)).find((text) => text.startsWith(`${label} `))
  return line?.slice(12)
}

describe('job-details', () => {
  it('shows a running job: status, bar and percent, step with counts, detail, ETA, times and duration', () => {
    const lines = formatJobDetails(makeJob(), COLOUR, NOW)
    // eslint-disable-next-line no-control-regex -- the colour escapes are what this checks for
    expect(lines.join('\n')).to.match(/\u001B\[/)
    expect(field(lines, 'Status')).to.equal('● running')
    expect(field(lines, 'Progress')).to.equal('████░░░░░░  42%')
    expect(field(lines, 'Step')).to.equal('semantic 210/500')
    expect(field(lines, 'Detail')).to.equal('210/500 files (42%)')
    expect(field(lines, 'ETA')).to.equal('1m 20s')
    expect(field(lines, 'Created')).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (UTC|[+-]\d{2}:\d{2}) \(3m ago\)$/)
    expect(field(lines, 'Completed')).to.equal('-')
    expect(field(lines, 'Duration')).to.equal('3m 00s')
    expect(field(lines, 'User')).to.equal('alice')
    expect(field(lines, 'Repository')).to.equal('backend')
    expect(field(lines, 'Error')).to.equal(undefined)
    // A job of a real server or a single local server has no node: no line says so.
    expect(field(lines, 'Node')).to.equal(undefined)
  })

  it('names the cluster node that ran the job, after the user', () => {
    const lines = formatJobDetails(makeJob({node: 'node-a'}), COLOUR, NOW).map((line) => stripAnsi(line))
    expect(field(lines, 'Node')).to.equal('node-a')
    expect(lines.findIndex((line) => line.startsWith('Node '))).to.equal(
      lines.findIndex((line) => line.startsWith('User ')) + 1,
    )
  })

  it("shows a failed job's error in full (every line) and its result as key/value lines, without ANSI when plain", () => {
    const job = makeJob({
      status: 'failed',
      repository: null,
      completed_at: '2026-11-28T09:14:13.010Z',
      error_message: 'clone failed\nfatal: repository not found',
      result: {success: false, alias: 'backend', stats: {files: 3}, note: 'two\nlines'},
      progress_detail: {
        current_step: null,
        steps_completed: null,
        total_steps: null,
        estimated_remaining: null,
        detailed_status: null,
      },
    })
    const lines = formatJobDetails(job, PLAIN, NOW)
    const text = lines.join('\n')
    // eslint-disable-next-line no-control-regex -- plain output carries no escape sequence: the ESC byte is what this checks for
    expect(text).not.to.match(/\u001B\[/)
    expect(field(lines, 'Status')).to.equal('failed')
    expect(field(lines, 'Progress')).to.equal('42%')
    expect(field(lines, 'Repository')).to.equal('-')
    expect(field(lines, 'Duration')).to.equal('10s')
    expect(field(lines, 'Step')).to.equal(undefined)
    expect(field(lines, 'ETA')).to.equal(undefined)
    expect(text).to.contain('Error       clone failed\n            fatal: repository not found')
    expect(text).to.contain('Result\n  success: false\n  alias: backend\n  stats: {"files":3}\n  note: two\n    lines')
  })

  it("escapes every text of the server, keeping the error's and the result's line breaks (indented) and our colours", () => {
    const job = {
      ...withHostileTexts(makeJob()),
      error_message: `${hostile('error')}\nsecond line\r${ATTACKS.cursorUp}`,
      result: {[hostile('key')]: hostile('value'), nested: {deep: [hostile('deep')]}},
    }
    for (const render of [PLAIN, COLOUR]) {
      const lines = formatJobDetails(job, render, NOW)
      const text = lines.join('\n')
      expectNoRawControls(text, `the details (colour: ${render.color})`, {ownColours: render.color})
      for (const label of [
        'id',
        'type',
        'description',
        'status',
        'repo',
        'node',
        'user',
        'error',
        'key',
        'value',
        'phase',
        'detail',
      ]) {
        expect(text).to.include(`${label}${ESCAPED_TITLE}`)
      }

      expect(stripAnsi(text)).to.include(`\n            second line\\r\\x1b[5A`)
      // Nested values are compact JSON, which writes C0 controls as \u001b itself.
      expect(text).to.include(String.raw`nested: {"deep":["deep\u001b]0;pwned\u0007`)
    }
  })

  it('keeps an unknown status as it is', () => {
    expect(field(formatJobDetails(makeJob({status: 'frobnicating'}), COLOUR, NOW), 'Status')).to.equal('  frobnicating')
  })

  it('formats result values of every kind', () => {
    expect(formatResult({n: 1, nothing: null, list: [1, 2]}, '')).to.deep.equal([
      'n: 1',
      'nothing: null',
      'list: [1,2]',
    ])
  })
})
