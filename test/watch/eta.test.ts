import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {EtaEstimator} from '../../src/watch/eta.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

const T0 = Date.parse('2026-11-28T09:20:00Z')

/** Feeds the estimator one sighting per [seconds after T0, progress]; the estimates it gave. */
function estimates(sightings: Array<[number, number]>, estimator = new EtaEstimator(), fields: Partial<Job> = {}) {
  return sightings.map(
    ([seconds, progress]) =>
      estimator.estimate(makeJob({...fields, progress}), T0 + seconds * 1000).progress_detail.estimated_remaining,
  )
}

describe('watch/eta: time left from the progress seen', () => {
  it("never estimates from the server's starting 10, however long ago the job started", () => {
    const started = {started_at: new Date(T0 - 3_600_000).toISOString()}
    expect(estimates([[0, 10]], new EtaEstimator(), started)).to.deep.equal([null])
    expect(
      estimates(
        [
          [0, 10],
          [1, 10],
          [30, 10],
        ],
        new EtaEstimator(),
        started,
      ),
    ).to.deep.equal([null, null, null])
  })

  it('estimates only after two paces measured over 2 s or more, then from the pace seen', () => {
    // 10 at first sight, then 1 % a second from the first change on.
    const seen = estimates([
      [0, 10],
      [5, 20],
      [15, 30],
      [25, 40],
      [35, 50],
    ])
    expect(seen.slice(0, 3)).to.deep.equal([null, null, null])
    expect(seen[3]).to.equal(60)
    expect(seen[4]).to.equal(50)
  })

  it('two quick sightings are not enough, however far progress moved', () => {
    expect(
      estimates([
        [0, 10],
        [0.2, 20],
        [0.4, 30],
        [0.6, 40],
      ]),
    ).to.deep.equal([null, null, null, null])
  })

  it('smooths: a sudden burst moves the estimate part of the way, not all of it', () => {
    const steady: Array<[number, number]> = [
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 40],
    ]
    const [before] = estimates(steady).slice(-1)
    // 10 points in 1 s: ten times the pace so far.
    const [after] = estimates([...steady, [31, 50]]).slice(-1)
    expect(before).to.equal(60)
    expect(after)
      .to.be.above(50 / 10)
      .and.below(50)
  })

  it('starts over when progress goes back (a new phase), and forgets a job that is no longer running', () => {
    const estimator = new EtaEstimator()
    const moved: Array<[number, number]> = [
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 40],
    ]
    expect(estimates(moved, estimator).at(-1)).to.equal(60)
    expect(estimates([[40, 5]], estimator)).to.deep.equal([null])
    estimator.estimate(makeJob({status: 'completed', progress: 100}), T0 + 50_000)
    expect(estimates([[60, 40]], estimator)).to.deep.equal([null])
  })

  it('says nothing once the job has stalled past its estimate', () => {
    const seen = estimates([
      [0, 10],
      [10, 20],
      [20, 30],
      [30, 80],
      [300, 80],
    ])
    expect(seen[3]).to.be.a('number')
    expect(seen[4]).to.equal(null)
  })
})
