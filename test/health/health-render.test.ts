import {expect} from 'chai'

import {formatHealth} from '../../src/health/health-render.js'
import {normalizeHealth, type ServerHealth} from '../../src/health/server-health.js'
import {realHealthBody, realHealthyBody} from '../helpers/fixtures/health-fixtures.js'
import {ESCAPED_TITLE, expectNoRawControls, hostile} from '../helpers/fixtures/hostile-text.js'

const PLAIN = {bars: false, color: false}
const TERMINAL = {bars: true, color: true}

function localDegraded(): ServerHealth {
  return normalizeHealth({
    status: 'degraded',
    version: '0.1.0',
    uptime_seconds: 3725,
    reasons: ['1 running job(s) made no progress for more than 60 s'],
    jobs: {
      workers: 2,
      pending: 3,
      running: 2,
      oldest_pending_age_seconds: 754,
      stuck_count: 1,
      stuck: [{job_id: 'a1b2c3d4-0000', operation_type: 'sync_repository', seconds_since_progress: 600}],
      failed_last_hour: 1,
      by_status: {failed: 4},
    },
  })
}

function statusLine(body: Record<string, unknown>): string {
  return formatHealth(normalizeHealth(body), TERMINAL)[0]
}

describe('health: the view for people', () => {
  it("shows a real server's status, message, version, uptime and job queue, and where to look at failures", () => {
    expect(formatHealth(normalizeHealth(realHealthBody()), PLAIN)).to.deep.equal([
      'status:        degraded',
      'message:       CIDX Server is running but 32 failed jobs detected',
      'version:       11.79.0',
      'uptime:        1m 30s',
      'jobs:',
      '  running:     1',
      '  pending:     2 (see: cidx jobs list --status queued)',
      '  failed:      32 (see: cidx jobs list --status failed)',
    ])
  })

  it("shows the local server's reasons, backlog, stuck jobs by ID and the failures of the last hour", () => {
    expect(formatHealth(localDegraded(), PLAIN)).to.deep.equal([
      'status:        degraded',
      'reason:        1 running job(s) made no progress for more than 60 s',
      'version:       0.1.0',
      'uptime:        1h 02m',
      'jobs:',
      '  running:     2 of 2 worker(s), all busy',
      '  pending:     3, the oldest waiting 12m 34s (see: cidx jobs list --status queued)',
      '  failed:      4 (see: cidx jobs list --status failed)',
      '  failed (1h): 1',
      '  stuck:       1 (see: cidx jobs status a1b2c3d4-0000)',
      '    a1b2c3d4-0000  sync_repository  no progress for 10m 00s',
    ])
  })

  it('colours the status on a terminal: green healthy, yellow degraded, red anything else', () => {
    expect(statusLine(realHealthyBody())).to.equal('status:        \u001B[32m✔ healthy\u001B[39m')
    expect(statusLine(realHealthBody())).to.equal('status:        \u001B[33m▲ degraded\u001B[39m')
    expect(statusLine({status: 'maintenance'})).to.equal('status:        \u001B[31m✖ maintenance\u001B[39m')
  })

  it("escapes every text of the server's: status, message, reasons, version, stuck job IDs and types", () => {
    const health = normalizeHealth({
      status: hostile('status'),
      message: hostile('message'),
      version: hostile('version'),
      reasons: [hostile('reason')],
      jobs: {stuck_count: 1, stuck: [{job_id: hostile('id'), operation_type: hostile('type')}]},
    })
    const text = formatHealth(health, TERMINAL).join('\n')
    expectNoRawControls(text, 'the health view', {ownColours: true})
    for (const label of ['status', 'message', 'version', 'reason', 'id', 'type'])
      expect(text).to.include(`${label}${ESCAPED_TITLE}`)
  })
})
