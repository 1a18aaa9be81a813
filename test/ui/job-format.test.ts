import {expect} from 'chai'

import {
  displayJob,
  formatJobDuration,
  formatPercent,
  formatProgress,
  jobDurationMs,
  progressBar,
  shortJobId,
  shortJobIds,
} from '../../src/ui/job-format.js'
import {stripAnsi} from '../../src/ui/terminal.js'
import {ESCAPED_TITLE, expectNoRawControls, hostile, withHostileTexts} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

const COLOUR_TERMINAL = {color: true, bars: true}
const PIPE = {color: false, bars: false}

describe('job-format: displayJob', () => {
  const raw = {
    ...withHostileTexts(makeJob()),
    error_message: `${hostile('error')}\nline two`,
    result: {alias: hostile('alias')},
  }

  it("escapes every text the server sent, and leaves the client's own numbers and timestamps (and the result) as they are", () => {
    const shown = displayJob(raw)
    const texts = [
      shown.job_id,
      shown.job_type,
      shown.description,
      shown.status,
      shown.user_id,
      shown.repository,
      shown.error_message,
      shown.progress_detail.current_step,
      shown.progress_detail.detailed_status,
    ]
    for (const [index, label] of [
      'id',
      'type',
      'description',
      'status',
      'user',
      'repo',
      'error',
      'phase',
      'detail',
    ].entries()) {
      expectNoRawControls(texts[index]!, label)
      expect(texts[index]).to.include(`${label}${ESCAPED_TITLE}`)
    }

    expect(shown.error_message).to.match(/\\nline two$/)
    expect(shown.progress_detail).to.include({steps_completed: 210, total_steps: 500, estimated_remaining: 80})
    expect(shown).to.include({
      progress: raw.progress,
      created_at: raw.created_at,
      started_at: raw.started_at,
      completed_at: raw.completed_at,
      result: raw.result,
    })
  })

  it('keeps line breaks when asked to (the details view)', () => {
    expect(displayJob(raw, {multiline: true}).error_message).to.match(/\nline two$/)
  })
})

describe('job-format: progress', () => {
  it('draws a fixed-width bar in half-cell steps', () => {
    expect(progressBar(0)).to.equal('░░░░░░░░░░')
    expect(progressBar(45)).to.equal('████▌░░░░░')
    expect(progressBar(50)).to.equal('█████░░░░░')
    expect(progressBar(100)).to.equal('██████████')
    expect(progressBar(42, 4)).to.equal('█▌░░')
  })

  it('clamps out-of-range and non-numeric progress', () => {
    expect(progressBar(150)).to.equal('██████████')
    expect(progressBar(-5)).to.equal('░░░░░░░░░░')
    expect(progressBar(Number.NaN)).to.equal('░░░░░░░░░░')
  })

  it('rounds the percent down, so an unfinished job never reads 100%', () => {
    expect(formatPercent(99.7)).to.equal(' 99%')
    expect(formatPercent(100)).to.equal('100%')
    expect(formatPercent(7)).to.equal('  7%')
  })

  it('shows bar and percent on a colour terminal, the plain percent elsewhere', () => {
    const job = {progress: 45, status: 'running'}
    const rich = formatProgress(job, COLOUR_TERMINAL)
    expect(stripAnsi(rich)).to.equal('████▌░░░░░  45%')
    expect(rich).to.include('\u001B[34m████▌\u001B[39m')
    expect(formatProgress(job, PIPE)).to.equal('45%')
    expect(stripAnsi(formatProgress({progress: 0, status: 'mystery'}, COLOUR_TERMINAL))).to.equal('░░░░░░░░░░   0%')
  })
})

describe('job-format: IDs', () => {
  const uuid = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'

  it('shortens a UUID to its first 8 characters', () => {
    expect(shortJobId(uuid)).to.equal('3f0c9a52')
    expect(shortJobId(uuid.toUpperCase())).to.equal('3F0C9A52')
  })

  it('shortens 32 hex digits without dashes (a real server has such jobs) like a UUID, and lengthens them on a clash', () => {
    const dashless = 'bbbf86ac03d04df481ef48b1ce20ed8f'
    const twin = 'bbbf86ac99d04df481ef48b1ce20ed8f'
    expect(shortJobId(dashless)).to.equal('bbbf86ac')
    const shorts = shortJobIds([dashless, twin, uuid])
    expect([shorts.get(dashless), shorts.get(twin), shorts.get(uuid)]).to.deep.equal([
      'bbbf86ac03d0',
      'bbbf86ac99d0',
      '3f0c9a52',
    ])
  })

  it('keeps system IDs recognisable and a prefix of the full ID', () => {
    expect(shortJobId('data-retention-1a2b3c4d')).to.equal('data-retention-1a2b3c4d')
    expect(shortJobId('data-retention-1a2b3c4d5e6f7a8b')).to.equal('data-retention-1a2b3c4d')
    expect(shortJobId('index_rebuild-abcdef0123')).to.equal('index_rebuild-abcdef01')
  })

  it('keeps other opaque IDs whole', () => {
    expect(shortJobId('job42')).to.equal('job42')
    expect(shortJobId('x'.repeat(40))).to.equal('x'.repeat(40))
  })

  it('lengthens short IDs that would clash among the listed jobs', () => {
    const twin = '3f0c9a52-0000-4b7a-9c11-5e2d7f6a0b44'
    const other = 'aaaaaaaa-8d1e-4b7a-9c11-5e2d7f6a0b44'
    const shorts = shortJobIds([uuid, twin, other, uuid, 'job42'])
    expect(shorts.get(other)).to.equal('aaaaaaaa')
    expect(shorts.get(uuid)).to.equal('3f0c9a52-8d1')
    expect(shorts.get(twin)).to.equal('3f0c9a52-000')
    expect(shorts.get('job42')).to.equal('job42')
    expect(shorts.size).to.equal(4)
  })

  it('falls back to the full ID when only that tells two apart', () => {
    const a = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
    const b = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b45'
    const shorts = shortJobIds([a, b])
    expect(shorts.get(a)).to.equal(a)
    expect(shorts.get(b)).to.equal(b)
  })
})

describe('job-format: duration', () => {
  const now = new Date('2026-11-28T12:00:00Z')

  it('measures completed minus started', () => {
    const job = {status: 'completed', started_at: '2026-11-28T10:00:00Z', completed_at: '2026-11-28T11:02:30Z'}
    expect(jobDurationMs(job, now)).to.equal(3_750_000)
    expect(formatJobDuration(job, now)).to.equal('1h 02m')
  })

  it('measures up to now while the job runs', () => {
    const job = {status: 'running', started_at: '2026-11-28T11:59:15Z', completed_at: null}
    expect(formatJobDuration(job, now)).to.equal('45s')
    expect(jobDurationMs(job)).to.be.greaterThan(0)
  })

  it('has no duration before the start, or for a finished job without an end', () => {
    expect(formatJobDuration({status: 'queued', started_at: null, completed_at: null}, now)).to.equal('-')
    expect(jobDurationMs({status: 'failed', started_at: '2026-11-28T10:00:00Z', completed_at: null}, now)).to.equal(
      null,
    )
    expect(
      jobDurationMs({status: 'failed', started_at: 'garbage', completed_at: '2026-11-28T10:00:00Z'}, now),
    ).to.equal(null)
  })

  it('never shows a negative duration from clock skew', () => {
    expect(
      jobDurationMs(
        {status: 'completed', started_at: '2026-11-28T10:00:05Z', completed_at: '2026-11-28T10:00:00Z'},
        now,
      ),
    ).to.equal(0)
  })
})
