import {expect} from 'chai'

import type {WatchEvent} from '../../src/watch/job-watcher.js'

import {EventQueue} from '../../src/support/event-queue.js'
import {FollowedJobs, jobChanges} from '../../src/watch/followed-jobs.js'
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

describe('watch/followed-jobs: FollowedJobs', () => {
  const realNow = Date.now

  afterEach(() => {
    Date.now = realNow
  })

  it('gives each running job an ETA only from the progress it saw the job make', () => {
    const queue = new EventQueue<WatchEvent>()
    const followed = new FollowedJobs({jobIds: []}, queue, () => {})
    const etas: Array<null | number> = []
    const noEta = {...makeJob().progress_detail, estimated_remaining: null}
    // The server's starting 10, then 10 points every 10 s.
    for (const [seconds, progress] of [
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 40],
    ]) {
      Date.now = () => 1_000_000 + seconds * 1000
      followed.apply(makeJob({progress, progress_detail: noEta}), 'detail', Date.now())
      etas.push(followed.jobs.get(makeJob().job_id)?.progress_detail.estimated_remaining ?? null)
    }

    expect(etas).to.deep.equal([null, null, null, 60])
  })
})
