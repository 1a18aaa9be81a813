import {expect} from 'chai'

import {ProtocolError} from '../../src/errors.js'
import {exitCodeForHealth, normalizeHealth} from '../../src/health/server-health.js'
import {REAL_HEALTH_NORMALIZED, realHealthBody} from '../helpers/fixtures/health-fixtures.js'

describe('health: the answer of GET /health in one shape', () => {
  it("reads a real server's job_queue, uptime and system_resources; what it does not say is null", () => {
    expect(normalizeHealth(realHealthBody())).to.deep.equal(REAL_HEALTH_NORMALIZED)
  })

  it("reads the local server's jobs section: stuck jobs by ID, the oldest pending job, failures by status", () => {
    const health = normalizeHealth({
      status: 'Degraded ',
      version: '0.1.0',
      uptime_seconds: 12,
      reasons: ['1 running job(s) made no progress for more than 60 s', 7, ''],
      jobs: {
        workers: 2,
        pending: 0,
        running: 1,
        oldest_pending_age_seconds: null,
        stuck_count: 1,
        stuck: [
          {job_id: 'j-1', operation_type: 'sync_repository', username: 'alice', seconds_since_progress: 600},
          {operation_type: 'no id: not a job one can look at'},
        ],
        failed_last_hour: 3,
        by_status: {running: 1, completed: 4},
      },
    })
    expect(health.status).to.equal('degraded')
    expect(health.reasons).to.deep.equal(['1 running job(s) made no progress for more than 60 s'])
    expect(health.resources).to.equal(null)
    expect(health.job_queue).to.deep.equal({
      running: 1,
      pending: 0,
      failed: 0,
      stuck: 1,
      stuck_jobs: [{job_id: 'j-1', operation_type: 'sync_repository', seconds_since_progress: 600}],
      oldest_pending_age_s: null,
      failed_last_hour: 3,
      workers: 2,
    })
  })

  it('takes no negative, infinite or textual number for a count', () => {
    const {job_queue: queue, uptime_s: uptime} = normalizeHealth({
      status: 'healthy',
      uptime: -5,
      job_queue: {active_jobs: '3', pending_jobs: -1, failed_jobs: null},
    })
    expect([uptime, queue.running, queue.pending, queue.failed]).to.deep.equal([null, null, null, null])
  })

  it('refuses an answer without a status (it says nothing about health)', () => {
    for (const body of [null, [], {}, {status: ''}, {status: 3}]) {
      expect(() => normalizeHealth(body), JSON.stringify(body)).to.throw(ProtocolError, /without a "status"/)
    }
  })

  it('gives monitoring 0 for healthy, 13 for degraded, 14 for anything else', () => {
    expect(
      ['healthy', 'degraded', 'unhealthy', 'maintenance'].map((status) => exitCodeForHealth(status)),
    ).to.deep.equal([0, 13, 14, 14])
  })
})
