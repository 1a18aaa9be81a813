import {expect} from 'chai'

import {formatHealth} from '../../src/health/health-render.js'
import {normalizeHealth} from '../../src/health/server-health.js'
import {formatTimestamp} from '../../src/support/time.js'
import {realHealthBody} from '../helpers/fixtures/health-fixtures.js'
import {ESCAPED_TITLE, expectNoRawControls, hostile} from '../helpers/fixtures/hostile-text.js'

const PLAIN = {bars: false, color: false}
const TERMINAL = {bars: true, color: true}
const NOW = new Date('2026-11-28T10:00:00.000Z')
const FRESH = '2026-11-28T09:59:58.000Z'
const OLD = '2026-11-28T09:58:00.000Z'

/** The local server's answer in cluster mode: node-b stopped beating, so it is degraded. */
function clusterBody(): Record<string, unknown> {
  return {
    status: 'degraded',
    version: '0.1.0',
    reasons: ['node(s) node-b stopped sending heartbeats (more than 30 s ago)'],
    node: 'node-a',
    nodes: [
      {name: 'node-a', url: 'http://127.0.0.1:8091', last_heartbeat: FRESH, running: 1, stale: false},
      {name: 'node-b', url: 'http://127.0.0.1:8092', last_heartbeat: OLD, running: 0, stale: true},
    ],
  }
}

describe("health: a cluster's nodes (the local server's extension)", () => {
  describe('normalization', () => {
    it('reads the answering node and each node: name, url, last heartbeat (ISO UTC), running, stale', () => {
      const health = normalizeHealth({
        ...clusterBody(),
        nodes: [
          {name: 'node-a', url: 'http://a', last_heartbeat: '2026-11-28T10:59:58+01:00', running: 2, stale: false},
        ],
      })
      expect(health.node).to.equal('node-a')
      expect(health.nodes).to.deep.equal([
        {name: 'node-a', url: 'http://a', last_heartbeat: FRESH, running: 2, stale: false},
      ])
    })

    it('has no node and no nodes when the server sends neither (a real server, a single local server)', () => {
      const health = normalizeHealth(realHealthBody())
      expect([health.node, health.nodes]).to.deep.equal([null, null])
    })

    it('drops entries without a name and takes nothing it cannot read for a value', () => {
      const health = normalizeHealth({
        status: 'healthy',
        node: 42,
        nodes: [
          null,
          'node-x',
          {url: 'http://nameless'},
          {name: '  '},
          {name: 'node-c', url: 7, last_heartbeat: 'yesterday', running: -1, stale: 'yes'},
          {name: 'node-d', last_heartbeat: '2026-11-28 09:00', running: 1.5, stale: 1},
        ],
      })
      expect(health.node).to.equal(null)
      expect(health.nodes).to.deep.equal([
        {name: 'node-c', url: null, last_heartbeat: null, running: null, stale: false},
        {name: 'node-d', url: null, last_heartbeat: null, running: null, stale: false},
      ])
    })

    it('takes a nodes that is not a list for none', () => {
      expect(normalizeHealth({status: 'healthy', nodes: {name: 'node-a'}}).nodes).to.equal(null)
    })
  })

  describe('the view', () => {
    it('lists each node after the job queue: running jobs, last heartbeat as times are shown, stale marked', () => {
      const lines = formatHealth(normalizeHealth(clusterBody()), PLAIN, NOW)
      expect(lines.slice(-3)).to.deep.equal([
        'nodes:         2, 1 stale',
        `  node-a  running 1, last heartbeat ${formatTimestamp(FRESH)} (just now) (answered)`,
        `  node-b  stale, running 0, last heartbeat ${formatTimestamp(OLD)} (2m ago)`,
      ])
    })

    it('marks a stale node in the degraded look on a terminal (yellow ▲), as the status is', () => {
      const lines = formatHealth(normalizeHealth(clusterBody()), TERMINAL, NOW)
      expect(lines[0]).to.equal('status:        \u001B[33m▲ degraded\u001B[39m')
      expect(lines.at(-1)).to.equal(
        `  node-b  \u001B[33m▲ stale\u001B[39m, running 0, last heartbeat ${formatTimestamp(OLD)} (2m ago)`,
      )
      expect(lines.at(-2)).not.to.include('stale')
    })

    it('pads the names to the widest and shows - for a heartbeat it could not read', () => {
      const health = normalizeHealth({
        status: 'healthy',
        nodes: [{name: 'n1'}, {name: 'node-long', running: 0, last_heartbeat: FRESH}],
      })
      expect(formatHealth(health, PLAIN, NOW).slice(-2)).to.deep.equal([
        '  n1         last heartbeat -',
        `  node-long  running 0, last heartbeat ${formatTimestamp(FRESH)} (just now)`,
      ])
    })

    it('says nothing of nodes for a server that lists none', () => {
      const text = formatHealth(normalizeHealth(realHealthBody()), PLAIN, NOW).join('\n')
      expect(text).not.to.match(/node/i)
    })

    it('escapes the node names the server sends', () => {
      const health = normalizeHealth({
        status: 'healthy',
        node: hostile('node'),
        nodes: [{name: hostile('node'), running: 0, stale: true}],
      })
      const text = formatHealth(health, TERMINAL, NOW).join('\n')
      expectNoRawControls(text, 'the nodes', {ownColours: true})
      expect(text).to.include(`node${ESCAPED_TITLE}`)
      expect(text).to.include('(answered)')
    })
  })
})
