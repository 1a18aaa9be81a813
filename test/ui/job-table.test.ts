import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {listFooter, type ListOutcome, renderJobTable, shouldShowUser} from '../../src/ui/job-table.js'
import {stripAnsi, type TerminalOptions} from '../../src/ui/terminal.js'
import {visibleWidth} from '../../src/ui/text-width.js'
import {ESCAPED_TITLE, expectNoRawControls, withHostileTexts} from '../helpers/fixtures/hostile-text.js'
import {makeJob, noProgressDetail} from '../helpers/fixtures/job-fixtures.js'

const NOW = new Date('2026-11-28T12:00:00Z')
const PIPE: TerminalOptions = {tty: false, color: false, bars: false, animate: false, width: 80}
const TERMINAL: TerminalOptions = {tty: true, color: true, bars: true, animate: true, width: 120}

function job(fields: Partial<Job>): Job {
  return makeJob({
    job_type: 'add_golden_repo',
    description: 'Add golden repository backend',
    progress: 45,
    created_at: '2026-11-28T11:57:00.000Z',
    started_at: '2026-11-28T11:58:00.000Z',
    progress_detail: noProgressDetail(),
    ...fields,
  })
}

const RUNNING = job({})
const FAILED = job({
  job_id: 'data-retention-1a2b3c4d',
  job_type: 'data_retention_cleanup',
  status: 'failed',
  progress: 100,
  created_at: '2026-11-28T09:00:00.000Z',
  started_at: '2026-11-28T09:00:00.000Z',
  completed_at: '2026-11-28T10:02:00.000Z',
  user_id: 'system',
  repository: null,
})

/** The table of RUNNING and FAILED on a colour terminal `width` columns wide, without its colours. */
const rowsAt = (width: number) =>
  renderJobTable([RUNNING, FAILED], {terminal: {...TERMINAL, width}, showUser: true, now: NOW}).map((line) =>
    stripAnsi(line),
  )

describe('job-table: renderJobTable', () => {
  it('prints full IDs and plain text when not on a terminal, and cuts nothing', () => {
    const lines = renderJobTable([RUNNING, FAILED], {terminal: PIPE, showUser: false, now: NOW})
    expect(lines).to.deep.equal([
      'ID                                    TYPE                    STATUS   PROGRESS  REPOSITORY  CREATED  DURATION',
      '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44  add_golden_repo         running       45%  backend     3m ago     2m 00s',
      'data-retention-1a2b3c4d               data_retention_cleanup  failed       100%  -           3h ago     1h 02m',
    ])
    expect(lines.join('')).not.to.include('\u001B')
  })

  it('adds the USER column when asked', () => {
    const [header, first] = renderJobTable([RUNNING], {terminal: PIPE, showUser: true, now: NOW})
    expect(header.endsWith('DURATION  USER')).to.equal(true)
    expect(first.endsWith('alice')).to.equal(true)
  })

  it('shows short IDs, symbols, colours and bars on a colour terminal', () => {
    const lines = renderJobTable([RUNNING, FAILED], {terminal: TERMINAL, showUser: true, now: NOW})
    // eslint-disable-next-line no-control-regex -- the bold escape is what this checks for
    expect(lines[0]).to.match(/^\u001B\[1mID/)
    expect(lines[1]).to.include('\u001B[34m● running\u001B[39m')
    expect(lines.map((line) => stripAnsi(line))).to.deep.equal([
      'ID                       TYPE                    STATUS            PROGRESS  REPOSITORY  CREATED  DURATION  USER',
      '3f0c9a52                 add_golden_repo         ● running  ████▌░░░░░  45%  backend     3m ago     2m 00s  alice',
      'data-retention-1a2b3c4d  data_retention_cleanup  ✖ failed   ██████████ 100%  -           3h ago     1h 02m  system',
    ])
  })

  it('fits a narrow terminal: bars become percents, flexible columns are cut, then columns go', () => {
    expect(rowsAt(110)[0]).to.equal(
      'ID                       TYPE                    STATUS     PROGRESS  REPOSITORY  CREATED  DURATION  USER',
    )
    expect(rowsAt(110)[1]).to.equal(
      '3f0c9a52                 add_golden_repo         ● running       45%  backend     3m ago     2m 00s  alice',
    )
    expect(rowsAt(100)[2]).to.equal(
      'data-retention-1a2b3c4d  data_retention…  ✖ failed       100%  -           3h ago     1h 02m  system',
    )
    expect(rowsAt(90)[0]).to.equal(
      'ID                       TYPE             STATUS     PROGRESS  REPOSITORY  CREATED  USER',
    )
    expect(rowsAt(80)[0]).to.equal('ID                       TYPE                    STATUS     REPOSITORY  USER')
    expect(rowsAt(70)[0]).to.equal('ID                       TYPE                    STATUS     REPOSITORY')
    expect(rowsAt(50)).to.deep.equal([
      'ID                       STATUS',
      '3f0c9a52                 ● running',
      'data-retention-1a2b3c4d  ✖ failed',
    ])
    for (const width of [110, 100, 90, 80, 70, 60, 50, 40, 30])
      expect(Math.max(...rowsAt(width).map((line) => visibleWidth(line)))).to.be.at.most(width)
  })

  describe('a server that writes control codes into its fields', () => {
    const HOSTILE_JOB = withHostileTexts(RUNNING)

    it('has every cell escaped, in a pipe and on a colour terminal, our own colours intact', () => {
      for (const terminal of [PIPE, {...TERMINAL, width: 1000}]) {
        const lines = renderJobTable([HOSTILE_JOB, RUNNING], {terminal, showUser: true, now: NOW})
        expectNoRawControls(lines.join('\n'), `the table (tty: ${terminal.tty})`, {ownColours: true})
        for (const label of ['id', 'type', 'status', 'repo', 'user'])
          expect(lines[1]).to.include(`${label}${ESCAPED_TITLE}`)
      }

      const coloured = renderJobTable([RUNNING], {terminal: TERMINAL, showUser: true, now: NOW})
      expect(coloured[1]).to.include('\u001B[34m● running\u001B[39m')
    })

    it('lines its columns up by the escaped text, as the terminal shows it', () => {
      const [header, bad, good] = renderJobTable([HOSTILE_JOB, RUNNING], {terminal: PIPE, showUser: true, now: NOW})
      const userColumn = header.indexOf('USER')
      expect(bad.indexOf(`user${ESCAPED_TITLE}`)).to.equal(userColumn)
      expect(good.indexOf('alice')).to.equal(userColumn)
      expect(good.indexOf('backend')).to.equal(header.indexOf('REPOSITORY'))
    })
  })

  it('keeps colour without symbols or bars when colour is forced into a pipe', () => {
    const [, first] = renderJobTable([RUNNING], {terminal: {...PIPE, color: true}, showUser: false, now: NOW})
    expect(first).to.include('\u001B[34mrunning\u001B[39m')
    expect(first).to.include(RUNNING.job_id)
  })
})

describe('job-table: shouldShowUser', () => {
  it('shows whose jobs these are to an admin, or when someone else is among them', () => {
    expect(shouldShowUser([RUNNING], {username: 'root', role: 'admin'})).to.equal(true)
    expect(shouldShowUser([RUNNING], {username: 'alice', role: 'normal_user'})).to.equal(false)
    expect(shouldShowUser([RUNNING, FAILED], {username: 'alice', role: 'power_user'})).to.equal(true)
    expect(shouldShowUser([RUNNING], undefined)).to.equal(true)
    expect(shouldShowUser([], undefined)).to.equal(false)
  })
})

describe('job-table: listFooter', () => {
  const base: ListOutcome = {
    shown: 20,
    offset: 0,
    complete: false,
    serverStoppedEarly: false,
    totalAtLeast: 57,
    totalExact: true,
  }

  it('says how many of how many are shown', () => {
    expect(listFooter(base)).to.equal('Showing 20 of 57 jobs; --limit N or --all for more.')
    expect(listFooter({...base, totalExact: false, totalAtLeast: 21})).to.equal(
      'Showing 20 of at least 21 jobs; --limit N or --all for more.',
    )
    expect(listFooter({...base, offset: 20})).to.equal('Showing 21-40 of 57 jobs; --limit N or --all for more.')
  })

  it('gives the exact count when everything was fetched', () => {
    expect(listFooter({...base, shown: 3, complete: true, totalAtLeast: 3})).to.equal('Showing 3 of 3 jobs.')
    expect(listFooter({...base, shown: 1, complete: true, totalAtLeast: 1})).to.equal('Showing 1 of 1 job.')
    expect(listFooter({...base, shown: 7, offset: 50, complete: true, totalAtLeast: 0})).to.equal(
      'Showing 51-57 of 57 jobs.',
    )
  })

  it('warns when the server stopped paging early', () => {
    expect(listFooter({...base, shown: 50, totalAtLeast: 50, totalExact: false, serverStoppedEarly: true})).to.equal(
      'Showing 50 of at least 50 jobs — the server stopped paging early (a known limit of CIDX servers); narrow with --status or --since.',
    )
    expect(listFooter({...base, shown: 0, totalAtLeast: 50, serverStoppedEarly: true})).to.match(
      /^No jobs match among those the server would list — the server stopped paging early/,
    )
  })

  it('has a friendly line for an empty listing', () => {
    expect(listFooter({...base, shown: 0, complete: true, totalAtLeast: 0})).to.equal('No jobs match.')
    expect(listFooter({...base, shown: 0, offset: 40, complete: true, totalAtLeast: 40})).to.equal(
      'No jobs match after the first 40.',
    )
  })
})
