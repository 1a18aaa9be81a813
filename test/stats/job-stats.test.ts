import {expect} from 'chai'

import {normalizeJob} from '../../src/client/normalize.js'
import {normalizeErrorText, topErrors} from '../../src/stats/error-groups.js'
import {computeStats, percentile} from '../../src/stats/job-stats.js'
import {renderTimelineChart} from '../../src/stats/timeline-chart.js'
import {bucketUnit, buildTimeline} from '../../src/stats/timeline.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {KNOWN_FIGURES, knownJobs} from './known-jobs.js'

const DAY = 86_400_000

function failed(id: string, error: null | string) {
  return makeJob({job_id: id, status: 'failed', error_message: error})
}

describe('stats: job statistics', () => {
  it('computes the known figures from normalized jobs', () => {
    const now = new Date()
    const since = new Date(now.getTime() - 7 * DAY)
    const jobs = knownJobs(now)
      .map((raw) => normalizeJob(raw))
      .filter((job) => Date.parse(job.created_at) >= since.getTime())
    expect(computeStats(jobs, {since, until: now, complete: true, unit: 'day'})).to.deep.include(KNOWN_FIGURES)
  })

  it('takes nearest-rank percentiles: always a measured value', () => {
    expect(percentile([], 50)).to.equal(null)
    expect(percentile([7], 95)).to.equal(7)
    expect(percentile([1, 2, 3, 4], 50)).to.equal(2)
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).to.equal(10)
  })

  it('groups errors that differ only in IDs, paths, URLs and numbers', () => {
    expect(normalizeErrorText('Job 3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44 took 12.5 s')).to.equal('Job <id> took <n> s')
    expect(normalizeErrorText('fetch https://git.example/a.git at bbbf86ac03d04df481ef48b1ce20ed8f')).to.equal(
      'fetch <url> at <id>',
    )
    expect(normalizeErrorText(String.raw`no such file C:\data\x.txt`)).to.equal('no such file <path>')
    expect(normalizeErrorText('  \n')).to.equal('(no error text)')
    expect(normalizeErrorText('x'.repeat(500))).to.have.length(200)
    const groups = topErrors([failed('a', 'b 1'), failed('b', 'a 2'), failed('c', 'b 3'), failed('d', null)], 2)
    expect(groups).to.deep.equal([
      {error: 'b <n>', count: 2, example_job_id: 'a'},
      {error: '(no error text)', count: 1, example_job_id: 'd'},
    ])
  })

  it('buckets by week past 90 days, aligned to Mondays, and charts only the newest buckets that fit', () => {
    const since = new Date('2026-01-01T00:00:00Z')
    const until = new Date('2026-12-01T00:00:00Z')
    expect(bucketUnit(since, until)).to.equal('week')
    const timeline = buildTimeline(
      [makeJob({created_at: '2026-11-30T10:00:00.000Z', status: 'queued'})],
      since,
      until,
      'week',
    )
    expect(timeline[0].start).to.equal('2025-12-29T00:00:00.000Z')
    expect(timeline.at(-1)).to.deep.include({start: '2026-11-30T00:00:00.000Z', other: 1})
    const chart = renderTimelineChart(timeline, 'week', {
      tty: true,
      color: false,
      bars: false,
      animate: false,
      width: 30,
    })
    expect(chart.at(-1)).to.include(`the last 28 of ${timeline.length}`)
  })
})
