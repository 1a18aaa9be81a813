import {expect} from 'chai'

import {UsageError} from '../../src/errors.js'
import {
  formatDuration,
  formatRelative,
  formatRelativeUnbounded,
  formatTimestamp,
  parseDuration,
  parseDurationFlag,
  parseIsoDate,
  parseTimeFlag,
} from '../../src/support/time.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

function thrown(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }

  throw new Error('expected an error')
}

describe('time: parseDuration', () => {
  it('reads every unit', () => {
    expect(parseDuration('90s')).to.equal(90 * SECOND)
    expect(parseDuration('90m')).to.equal(90 * MINUTE)
    expect(parseDuration('2h')).to.equal(2 * HOUR)
    expect(parseDuration('7d')).to.equal(7 * DAY)
    expect(parseDuration('1w')).to.equal(7 * DAY)
    expect(parseDuration('500ms')).to.equal(500)
    expect(parseDuration('1m500ms')).to.equal(MINUTE + 500)
    expect(parseDuration('2m5s')).to.equal(2 * MINUTE + 5 * SECOND)
  })

  it('adds combined parts, with or without spaces, in any case', () => {
    expect(parseDuration('1h30m')).to.equal(90 * MINUTE)
    expect(parseDuration('2d 4h')).to.equal(2 * DAY + 4 * HOUR)
    expect(parseDuration(' 1H30M ')).to.equal(90 * MINUTE)
    expect(parseDuration('1.5h')).to.equal(90 * MINUTE)
  })

  it('rejects what is not a duration', () => {
    for (const text of ['', '90', 'h', '2 hours', '-2h', '2h-', '1y', '2026-11-20', 'abc', 'ms', '5mss']) {
      expect(parseDuration(text), text).to.equal(undefined)
    }
  })

  it('parseDurationFlag names the flag and the syntax in its UsageError', () => {
    expect(parseDurationFlag('5m', 'timeout')).to.equal(5 * MINUTE)
    const error = thrown(() => parseDurationFlag('soon', 'timeout'))
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.equal(
      '--timeout must be a duration such as 500ms, 90s, 45m, 2h, 7d, 1w or 1h30m, not "soon".',
    )
  })
})

describe('time: parseIsoDate and parseTimeFlag', () => {
  const now = new Date('2026-11-28T12:00:00Z')

  it('takes a duration as that long before now', () => {
    expect(parseTimeFlag('2h', 'since', now).toISOString()).to.equal('2026-11-28T10:00:00.000Z')
    expect(parseTimeFlag('7d', 'since', now).toISOString()).to.equal('2026-11-21T12:00:00.000Z')
    expect(parseTimeFlag('1h30m', 'until', now).toISOString()).to.equal('2026-11-28T10:30:00.000Z')
  })

  it('reads a date alone as local midnight', () => {
    const date = parseTimeFlag('2026-11-20', 'since', now)
    expect([date.getFullYear(), date.getMonth(), date.getDate(), date.getHours(), date.getMinutes()]).to.deep.equal([
      2026, 10, 20, 0, 0,
    ])
  })

  it('honours Z and offsets, and reads a date-time without one as local time', () => {
    expect(parseIsoDate('2026-11-20T08:03:00Z')?.toISOString()).to.equal('2026-11-20T08:03:00.000Z')
    expect(parseIsoDate('2026-11-20T08:03:00.123456+02:00')?.toISOString()).to.equal('2026-11-20T06:03:00.123Z')
    const local = parseIsoDate('2026-11-20 08:03')!
    expect([local.getDate(), local.getHours(), local.getMinutes()]).to.deep.equal([20, 8, 3])
  })

  it('refuses impossible dates instead of rolling them over', () => {
    expect(parseIsoDate('2026-02-31')).to.equal(undefined)
    expect(parseIsoDate('2026-13-01T00:00')).to.equal(undefined)
  })

  it('a UsageError names the flag and both syntaxes', () => {
    const error = thrown(() => parseTimeFlag('yesterday', 'since', now))
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.match(
      /^--since must be a duration such as 500ms, 90s, .* or an ISO date\/time such as 2026-11-20 .*, not "yesterday"\.$/,
    )
  })

  it('defaults now to the current time', () => {
    const before = Date.now()
    const date = parseTimeFlag('1m', 'since')
    expect(date.getTime()).to.be.within(before - MINUTE, Date.now() - MINUTE)
  })
})

describe('time: formatRelative', () => {
  const now = new Date('2026-11-28T12:00:00Z')
  const ago = (ms: number) => new Date(now.getTime() - ms)

  it('says "just now" for a few seconds either way', () => {
    expect(formatRelative(ago(2 * SECOND), now)).to.equal('just now')
    expect(formatRelative(ago(-3 * SECOND), now)).to.equal('just now')
  })

  it('uses the largest whole unit in the past', () => {
    expect(formatRelative(ago(45 * SECOND), now)).to.equal('45s ago')
    expect(formatRelative(ago(3 * MINUTE + 59 * SECOND), now)).to.equal('3m ago')
    expect(formatRelative(ago(2 * HOUR + 5 * MINUTE), now)).to.equal('2h ago')
    expect(formatRelative(ago(3 * DAY), now)).to.equal('3d ago')
  })

  it('says "in ..." for the future and accepts ISO strings', () => {
    expect(formatRelative(new Date(now.getTime() + 2 * HOUR).toISOString(), now)).to.equal('in 2h')
  })

  it('shows the date beyond 30 days, and "-" for garbage', () => {
    const old = ago(45 * DAY)
    const expected = `${old.getFullYear()}-${String(old.getMonth() + 1).padStart(2, '0')}-${String(old.getDate()).padStart(2, '0')}`
    expect(formatRelative(old, now)).to.equal(expected)
    expect(formatRelative('not a date', now)).to.equal('-')
  })

  it('defaults now to the current time', () => {
    expect(formatRelative(new Date(Date.now() - 10 * MINUTE))).to.equal('10m ago')
  })
})

describe('time: formatRelativeUnbounded', () => {
  it('says how far away a time is, coarsely', () => {
    const now = 1_000_000_000_000
    expect(formatRelativeUnbounded(now + 8 * 60_000 + 5000, now)).to.equal('in 8 min')
    expect(formatRelativeUnbounded(now - 3 * 3_600_000, now)).to.equal('3 h ago')
    expect(formatRelativeUnbounded(now + 2 * 86_400_000, now)).to.equal('in 2 d')
    expect(formatRelativeUnbounded(now - 30_000, now)).to.equal('30 s ago')
    expect(formatRelativeUnbounded(now, now)).to.equal('in 0 s')
  })

  it('rounds to whole seconds before it picks the unit', () => {
    const now = 1_000_000_000_000
    expect(formatRelativeUnbounded(now + 59_600, now)).to.equal('in 1 min')
    expect(formatRelativeUnbounded(now - 600, now)).to.equal('1 s ago')
  })
})

/** Runs `check` with the process in time zone `zone` (Node reads TZ again when it changes). */
function inZone(zone: string, check: () => void): void {
  const saved = process.env.TZ
  process.env.TZ = zone
  try {
    check()
  } finally {
    if (saved === undefined) delete process.env.TZ
    else process.env.TZ = saved
  }
}

describe('time: formatDuration and formatTimestamp', () => {
  it('shows at most two units, the second zero-padded', () => {
    expect(formatDuration(0)).to.equal('0s')
    expect(formatDuration(45 * SECOND + 900)).to.equal('45s')
    expect(formatDuration(3 * MINUTE + 5 * SECOND)).to.equal('3m 05s')
    expect(formatDuration(HOUR + 2 * MINUTE + 30 * SECOND)).to.equal('1h 02m')
    expect(formatDuration(2 * DAY + 4 * HOUR)).to.equal('2d 04h')
  })

  it('treats negative and non-finite durations as zero', () => {
    expect(formatDuration(-5000)).to.equal('0s')
    expect(formatDuration(Number.NaN)).to.equal('0s')
  })

  it('formats local wall-clock time with its zone, "-" when missing or unreadable', () => {
    inZone('UTC', () => {
      const date = new Date(Date.UTC(2026, 10, 28, 9, 4, 5))
      expect(formatTimestamp(date)).to.equal('2026-11-28 09:04:05 UTC')
      expect(formatTimestamp(date.toISOString())).to.equal('2026-11-28 09:04:05 UTC')
    })
    inZone('Europe/Berlin', () => {
      expect(formatTimestamp('2026-11-28T09:04:05Z')).to.equal('2026-11-28 10:04:05 +01:00')
      expect(formatTimestamp('2026-07-01T09:04:05Z')).to.equal('2026-07-01 11:04:05 +02:00')
    })
    inZone('America/St_Johns', () => {
      expect(formatTimestamp('2026-11-28T09:04:05Z')).to.equal('2026-11-28 05:34:05 -03:30')
    })
    expect(formatTimestamp(null)).to.equal('-')
    expect(formatTimestamp(undefined)).to.equal('-')
    expect(formatTimestamp('garbage')).to.equal('-')
  })
})
