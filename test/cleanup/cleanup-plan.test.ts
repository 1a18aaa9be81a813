import {expect} from 'chai'

import {maxAgeHours, summarizeExpired} from '../../src/cleanup/cleanup-plan.js'
import {formatPlan} from '../../src/cleanup/cleanup-render.js'
import {durationOf} from '../../src/flags.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {thrownUsageError} from '../helpers/thrown.js'

const CUTOFF = Date.parse('2026-11-01T00:00:00Z')

describe('cleanup plan', () => {
  it('counts finished jobs that ended before the cutoff, by their end or else their creation', () => {
    const jobs = [
      makeJob({
        job_id: 'a',
        status: 'completed',
        created_at: '2026-10-01T00:00:00Z',
        completed_at: '2026-10-02T00:00:00Z',
      }),
      makeJob({job_id: 'b', status: 'cancelled', created_at: '2026-09-01T00:00:00Z', completed_at: null}),
      makeJob({
        job_id: 'c',
        status: 'failed',
        created_at: '2026-10-30T00:00:00Z',
        completed_at: '2026-11-02T00:00:00Z',
      }),
      makeJob({job_id: 'd', status: 'running', created_at: '2026-01-01T00:00:00Z', completed_at: null}),
      makeJob({job_id: 'e', status: 'completed', created_at: '2026-10-01T00:00:00Z', completed_at: 'garbage'}),
    ]
    expect(summarizeExpired(jobs, CUTOFF)).to.deep.equal({
      count: 2,
      by_status: {completed: 1, cancelled: 1},
      oldest: '2026-09-01T00:00:00Z',
      newest: '2026-10-02T00:00:00Z',
    })
  })

  it('takes whole hours within the server range only', () => {
    expect(maxAgeHours(durationOf('30d'))).to.equal(720)
    expect(maxAgeHours(durationOf('1h'))).to.equal(1)
    expect(thrownUsageError(() => maxAgeHours(durationOf('1h30m'))).message).to.contain('not "1h30m"')
    expect(thrownUsageError(() => maxAgeHours(durationOf('366d'))).message).to.contain('whole hours from 1h')
  })

  it('escapes the statuses a server names', () => {
    const plan = {count: 1, by_status: {'bad\u001B[2J': 1}, oldest: null, newest: null, exact: true, max_age_hours: 5}
    expect(formatPlan(plan)).to.deep.equal([
      'Would delete 1 finished job older than 5 h (dry run: nothing deleted).',
      String.raw`  by status: bad\x1b[2J 1`,
    ])
  })
})
