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

describe('watch/followed-jobs: following (follow)', () => {
  /** A queue that keeps a record of what was pushed and whether it was closed. */
  class RecordingQueue extends EventQueue<WatchEvent> {
    readonly events: WatchEvent[] = []
    wasClosed = false

    override close(): void {
      this.wasClosed = true
      super.close()
    }

    override push(event: WatchEvent): void {
      this.events.push(event)
      super.push(event)
    }
  }

  function following(follow: boolean) {
    const queue = new RecordingQueue()
    return {followed: new FollowedJobs({follow}, queue, () => {}), events: queue.events, closed: () => queue.wasClosed}
  }

  const started = Date.now()

  it('never finishes, and says it is idle each time the last active job has ended', () => {
    const {followed, events, closed} = following(true)
    followed.settled()
    followed.apply(makeJob({job_id: 'a'}), 'push', started)
    followed.apply(makeJob({job_id: 'b'}), 'push', started)
    followed.apply(makeJob({job_id: 'a', status: 'completed'}), 'push', started)
    followed.apply(makeJob({job_id: 'b', status: 'cancelled'}), 'push', started)
    followed.apply(makeJob({job_id: 'c'}), 'push', started)
    followed.markGone('c')
    expect(events.map((event) => event.type)).to.deep.equal([
      'idle',
      'job',
      'job',
      'job',
      'job',
      'idle',
      'job',
      'gone',
      'idle',
    ])
    expect(followed.finished()).to.equal(false)
    expect(closed()).to.equal(false)
  })

  it('without it, the watch ends with the last job, never idle', () => {
    const {followed, events, closed} = following(false)
    followed.apply(makeJob({job_id: 'a'}), 'push', started)
    followed.apply(makeJob({job_id: 'a', status: 'completed'}), 'push', started)
    expect(events.map((event) => event.type)).to.deep.equal(['job', 'job'])
    expect(closed()).to.equal(true)
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
