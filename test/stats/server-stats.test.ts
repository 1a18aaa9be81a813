import {expect} from 'chai'

import {ProtocolError} from '../../src/errors.js'
import {normalizeServerStats} from '../../src/stats/server-stats.js'

const VALID = {
  sample: 1,
  complete: true,
  since: '2026-11-23T12:00:00.000Z',
  until: '2026-11-30T12:00:00.000Z',
  by_status: {failed: 1},
  by_type: {sync_repository: {count: 1, failed: 1, success_rate: 0, duration_p50_s: null, duration_p95_s: null}},
  success_rate: 0,
  duration: {p50_s: null, p95_s: null, max_s: null},
  queue_wait: {p50_s: null, p95_s: null},
  top_errors: [{error: 'boom', count: 1, example_job_id: 'j1'}],
  timeline: [{start: '2026-11-30T00:00:00.000Z', completed: 0, failed: 1, cancelled: 0, other: 0}],
  timeline_unit: 'day',
}

describe('stats: the server-computed figures are checked', () => {
  it('takes a well-formed answer as it is', () => {
    expect(normalizeServerStats(VALID)).to.deep.equal(VALID)
  })

  for (const [what, body] of [
    ['not an object', []],
    ['a negative count', {...VALID, sample: -1}],
    ['a figure that is text', {...VALID, success_rate: '1'}],
    ['an error that is not text', {...VALID, top_errors: [{error: 5, count: 1, example_job_id: 'j1'}]}],
    ['a bucket start that is not a time', {...VALID, timeline: [{...VALID.timeline[0], start: 'soon'}]}],
    ['no timeline list', {...VALID, timeline: {}}],
    ['an unknown unit', {...VALID, timeline_unit: 'year'}],
  ] as const) {
    it(`refuses ${what} with a protocol error`, () => {
      expect(() => normalizeServerStats(body)).to.throw(ProtocolError, /job statistics/)
    })
  }
})
