import {expect} from 'chai'

import {UsageError} from '../../src/errors.js'
import {buildListQuery, parseStatuses, splitList} from '../../src/jobs/list-query.js'
import {thrownUsageError as thrown} from '../helpers/thrown.js'

describe('list-query: splitList and parseStatuses', () => {
  it('splits repeated and comma-separated values, dropping blanks and duplicates', () => {
    expect(splitList(['a,b', ' c ', 'a', ',,'])).to.deep.equal(['a', 'b', 'c'])
    expect(splitList(undefined)).to.deep.equal([])
  })

  it('gives undefined when no status was asked for', () => {
    expect(parseStatuses(undefined)).to.equal(undefined)
    expect(parseStatuses([' , '])).to.equal(undefined)
  })

  it('treats pending as queued, and reads case and dashes loosely', () => {
    expect(parseStatuses(['pending'])).to.deep.equal(['queued'])
    expect(parseStatuses(['queued,PENDING'])).to.deep.equal(['queued'])
    expect(parseStatuses(['Completed-Partial'])).to.deep.equal(['completed_partial'])
  })

  it('expands active to every not-yet-ended status', () => {
    expect(parseStatuses(['active'])).to.deep.equal(['queued', 'running', 'resolving_prerequisites'])
    expect(parseStatuses(['failed', 'active,running'])).to.deep.equal([
      'failed',
      'queued',
      'running',
      'resolving_prerequisites',
    ])
  })

  it('refuses an unknown name, listing the valid ones and the escape', () => {
    const error = thrown(() => parseStatuses(['runing']))
    expect(error.message).to.equal(
      'Unknown status "runing". Valid: queued, running, resolving_prerequisites, completed, completed_partial, failed, cancelled, pending, active.',
    )
    expect(error.hint).to.equal('For a status this CLI does not know yet, write --status =runing.')
  })

  it('passes =NAME through unchecked and verbatim', () => {
    expect(parseStatuses(['=Paused', 'failed'])).to.deep.equal(['Paused', 'failed'])
    expect(() => parseStatuses(['='])).to.throw(UsageError)
  })
})

describe('list-query: buildListQuery', () => {
  const now = new Date('2026-11-28T12:00:00Z')

  it('is empty without flags', () => {
    expect(buildListQuery({}, now)).to.deep.equal({})
  })

  it('fills every filter', () => {
    expect(
      buildListQuery(
        {
          status: [{value: parseStatuses(['active'])!}],
          type: ['sync_repository,add_golden_repo'],
          repository: ' backend ',
          user: 'bob',
          since: '2h',
          until: '1h',
        },
        now,
      ),
    ).to.deep.equal({
      statuses: ['queued', 'running', 'resolving_prerequisites'],
      types: ['sync_repository', 'add_golden_repo'],
      repository: 'backend',
      user: 'bob',
      since: new Date('2026-11-28T10:00:00Z'),
      until: new Date('2026-11-28T11:00:00Z'),
    })
  })

  it('ignores blank repository and user', () => {
    expect(buildListQuery({repository: ' ', user: ''}, now)).to.deep.equal({})
  })

  it('refuses a bad time and an empty range', () => {
    expect(thrown(() => buildListQuery({since: 'lately'}, now)).message).to.match(/^--since must be/)
    expect(thrown(() => buildListQuery({until: '5 minutes'}, now)).message).to.match(/^--until must be/)
    expect(thrown(() => buildListQuery({since: '1h', until: '2h'}, now)).message).to.equal(
      '--since (2026-11-28T11:00:00.000Z) is after --until (2026-11-28T10:00:00.000Z): nothing can match.',
    )
  })

  it('defaults now to the current time', () => {
    const before = Date.now()
    const since = buildListQuery({since: '1h'}).since!.getTime()
    expect(since).to.be.within(before - 3_600_000, Date.now() - 3_600_000)
  })
})
