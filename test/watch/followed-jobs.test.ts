import {expect} from 'chai'

import {jobChanges} from '../../src/watch/followed-jobs.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

describe('watch/followed-jobs: jobChanges', () => {
  it('names what changed, and ignores the ETA, which moves with the clock alone', () => {
    const job = makeJob()
    expect(jobChanges(null, job)).to.deep.equal(['new'])
    expect(jobChanges(job, {...job})).to.deep.equal([])
    expect(jobChanges(job, {...job, progress_detail: {...job.progress_detail, estimated_remaining: 3}})).to.deep.equal(
      [],
    )
    const ended = {
      ...job,
      status: 'failed',
      progress: 50,
      error_message: 'boom',
      completed_at: '2026-11-28T09:20:00.000Z',
      repository: 'other',
      result: {success: false},
      progress_detail: {...job.progress_detail, current_step: 'fts'},
    }
    expect(jobChanges(job, ended)).to.deep.equal([
      'status',
      'progress',
      'step',
      'error',
      'timestamps',
      'repository',
      'result',
    ])
  })
})
