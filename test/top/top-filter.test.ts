import {expect} from 'chai'

import {UsageError} from '../../src/errors.js'
import {describeFilter, matchesFilter, NO_FILTER, parseFilter} from '../../src/top/top-filter.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

describe('top: the filter prompt', () => {
  it('reads key:value terms, comma lists and a bare ID prefix', () => {
    expect(
      parseFilter(' type:sync_repository,add_golden_repo repository:Backend user:bob status:active 3F0c '),
    ).to.deep.equal({
      types: ['sync_repository', 'add_golden_repo'],
      repositories: ['backend'],
      users: ['bob'],
      statuses: ['queued', 'running', 'resolving_prerequisites'],
      idPrefixes: ['3f0c'],
    })
    expect(parseFilter('')).to.deep.equal(NO_FILTER)
  })

  it('refuses an unknown key or status with a usage error', () => {
    expect(() => parseFilter('colour:red')).to.throw(UsageError, 'Unknown filter "colour"')
    expect(() => parseFilter('status:sleeping')).to.throw(UsageError, 'Unknown status "sleeping"')
  })

  it('writes the filter back as the prompt takes it', () => {
    const text = 'type:sync_repository repo:backend user:bob status:failed id:3f0c'
    expect(describeFilter(parseFilter(text))).to.equal(text)
    expect(describeFilter(NO_FILTER)).to.equal('')
  })

  it('lets a job through when every term matches one of its values; no repository never matches a repo term', () => {
    const job = makeJob()
    expect(matchesFilter(job, parseFilter('repo:frontend,backend status:running'))).to.equal(true)
    expect(matchesFilter(job, parseFilter('repo:backend status:queued'))).to.equal(false)
    expect(matchesFilter({...job, repository: null}, parseFilter('repo:backend'))).to.equal(false)
    expect(matchesFilter(job, parseFilter('id:3f0c9a52-8d1e'))).to.equal(true)
    expect(matchesFilter(job, parseFilter('7b1d'))).to.equal(false)
  })
})
