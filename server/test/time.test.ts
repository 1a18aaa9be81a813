import {expect} from 'chai'

import {parseIsoMicros, pythonIso} from '../src/time.js'

describe('server: timestamps', () => {
  it('writes UTC times as Python isoformat, dropping a zero fraction like Python does', () => {
    expect(pythonIso(Date.UTC(2026, 10, 20, 8, 3, 0) * 1000 + 123_456)).to.equal('2026-11-20T08:03:00.123456+00:00')
    expect(pythonIso(Date.UTC(2026, 10, 20, 8, 3, 0) * 1000 + 7)).to.equal('2026-11-20T08:03:00.000007+00:00')
    expect(pythonIso(Date.UTC(2026, 10, 20, 8, 3, 0) * 1000)).to.equal('2026-11-20T08:03:00+00:00')
  })

  it('reads ISO dates and date-times with Z, offsets, no zone (UTC) and up to microseconds', () => {
    const base = Date.UTC(2026, 10, 20, 8, 3, 0) * 1000
    expect(parseIsoMicros('2026-11-20T08:03:00.123456+00:00')).to.equal(base + 123_456)
    expect(parseIsoMicros('2026-11-20T08:03:00.5Z')).to.equal(base + 500_000)
    expect(parseIsoMicros('2026-11-20T10:03:00+02:00')).to.equal(base)
    expect(parseIsoMicros('2026-11-20 08:03')).to.equal(base)
    expect(parseIsoMicros('2026-11-20')).to.equal(Date.UTC(2026, 10, 20) * 1000)
  })

  it('refuses what is not a date', () => {
    for (const text of ['yesterday', '2026-02-31', '2026-11-20T25:00:00Z', '20261120', ''])
      expect(parseIsoMicros(text), text).to.equal(null)
  })
})
