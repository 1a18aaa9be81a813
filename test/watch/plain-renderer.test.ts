import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'
import type {JobChange, WatchEvent} from '../../src/watch/job-watcher.js'

import {NetworkError} from '../../src/errors.js'
import {parseProgressEvery} from '../../src/flags.js'
import {createRenderer} from '../../src/watch/watch-render.js'
import {ESCAPED_TITLE, expectNoRawControls, hostile} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {ANSI, Collect, hostileJob, ISO_STAMP, jobEvent} from '../helpers/fixtures/render-fixtures.js'

describe('watch/plain-renderer', () => {
  it('writes one timestamped line per change without ANSI codes, then a summary', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('plain', {out, err})
    const running = makeJob()
    const done = makeJob({
      status: 'completed',
      progress: 100,
      completed_at: '2026-11-28T09:14:15.010Z',
      progress_detail: {...running.progress_detail, estimated_remaining: null},
    })
    const failed = makeJob({
      job_id: 'data-retention-1a2b3c4d',
      job_type: 'data_retention_cleanup',
      repository: null,
      status: 'failed',
      error_message: 'disk full',
    })
    renderer.handle(jobEvent(running))
    renderer.handle({type: 'reconnecting', reason: 'connect ECONNREFUSED', at: new Date()})
    renderer.handle({type: 'reconnected', downForMs: 3200, at: new Date()})
    renderer.handle(jobEvent(done, running))
    renderer.handle(jobEvent(failed))
    renderer.handle({type: 'gone', jobId: 'abcd-gone', previous: makeJob({job_id: 'abcd-gone'}), at: new Date()})
    await renderer.close()
    const lines = out.text.trimEnd().split('\n')
    expect(out.text).not.to.match(ANSI)
    expect(lines).to.have.length(7)
    for (const line of lines.slice(0, 6)) expect(line).to.match(ISO_STAMP)
    expect(lines[0])
      .to.contain(running.job_id)
      .and.contain('sync_repository')
      .and.contain('backend')
      .and.contain('running')
    expect(lines[0]).to.contain('42%').and.contain('semantic 210/500').and.contain('ETA 1m 20s')
    expect(lines[1]).to.contain('server unreachable (connect ECONNREFUSED); reconnecting')
    expect(lines[2]).to.contain('reconnected after 3s')
    expect(lines[3]).to.contain('completed').and.contain('100%').and.contain('in 12s').and.not.contain('ETA')
    expect(lines[4]).to.contain('data-retention-1a2b3c4d').and.contain('failed').and.contain('disk full')
    expect(lines[5]).to.contain('abcd-gone  no longer found on the server')
    expect(lines[6]).to.equal('Done: 1 completed, 1 failed, 1 gone.')
    expect(err.text).to.equal('')
  })

  it("escapes the server's texts in the job lines, the notices and the summary", async () => {
    const out = new Collect()
    const renderer = await createRenderer('plain', {out, err: new Collect()})
    renderer.handle(jobEvent(hostileJob()))
    renderer.handle(jobEvent(hostileJob({status: hostile('status')})))
    renderer.handle(jobEvent(hostileJob({job_id: 'other', status: 'failed'})))
    renderer.handle({type: 'reconnecting', reason: hostile('reason'), at: new Date()})
    renderer.handle({type: 'gone', jobId: hostile('gone'), previous: makeJob(), at: new Date()})
    await renderer.close()
    expectNoRawControls(out.text, 'the plain lines')
    for (const label of ['id', 'type', 'repo', 'phase', 'status', 'error', 'reason', 'gone'])
      expect(out.text).to.include(`${label}${ESCAPED_TITLE}`)
    expect(out.text.trimEnd().split('\n')).to.have.length(6)
  })

  it('says so when there was nothing to watch, and writes no summary when stopped early', async () => {
    const empty = new Collect()
    await (await createRenderer('plain', {out: empty, err: new Collect()})).close()
    expect(empty.text).to.equal('No active jobs to watch.\n')
    const stopped = new Collect()
    const renderer = await createRenderer('plain', {out: stopped, err: new Collect()})
    renderer.handle(jobEvent(makeJob()))
    await renderer.close(new NetworkError('gone'))
    expect(stopped.text.trimEnd().split('\n')).to.have.length(1)
  })

  it('says on stderr, once per refusal and escaped, that the server refused the event stream; the job lines go on', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('plain', {out, err})
    renderer.handle(jobEvent(makeJob()))
    renderer.handle({type: 'push_refused', reason: hostile('refusal'), at: new Date()})
    renderer.handle(jobEvent(makeJob({status: 'completed', progress: 100}), makeJob()))
    await renderer.close()
    expect(err.text.split('\n')).to.have.length(2)
    expect(err.text).to.match(/^cidx: the server refused an event stream \(refusal.*\); polling instead\n$/)
    expectNoRawControls(err.text, 'the notice')
    expect(err.text).to.include(`refusal${ESCAPED_TITLE}`)
    expect(out.text).not.to.contain('refused')
    expect(out.text.trimEnd().split('\n')).to.have.length(3)
  })

  describe('--progress-every', () => {
    const start = Date.parse('2026-11-28T09:15:00.000Z')
    /** A change of `job` at `seconds` after the start. */
    function change(job: Job, previous: Job, seconds: number, changes: JobChange[] = ['progress', 'step']): WatchEvent {
      return {type: 'job', job, previous, changes, at: new Date(start + seconds * 1000)}
    }

    /** The percents of the job lines written, for progress reports at the given [seconds, percent]. */
    async function written(every: string, reports: [number, number][]): Promise<string[]> {
      const out = new Collect()
      const renderer = await createRenderer('plain', {
        out,
        err: new Collect(),
        progressEvery: parseProgressEvery(every),
      })
      let previous = makeJob({progress: 0})
      renderer.handle(change(previous, previous, 0, ['new']))
      for (const [seconds, progress] of reports) {
        const next = makeJob({progress})
        renderer.handle(change(next, previous, seconds))
        previous = next
      }

      return out.text
        .trimEnd()
        .split('\n')
        .map((line) => / (\d+%)/.exec(line)![1])
    }

    const everySecond: [number, number][] = Array.from({length: 30}, (_, index) => [index + 1, index + 1])

    it('10%,10s by default of the command: a line once progress has moved 10 points, or 10 s after the last', async () => {
      expect(await written('10%,10s', everySecond)).to.deep.equal(['0%', '10%', '20%', '30%'])
      // Slow progress: the clock lets a line through.
      const slow: [number, number][] = Array.from({length: 25}, (_, index) => [index + 1, Math.floor((index + 1) / 5)])
      expect(await written('10%,10s', slow)).to.deep.equal(['0%', '2%', '4%'])
    })

    it('a percentage or a duration alone, and 0 for every change', async () => {
      expect(await written('25%', everySecond)).to.deep.equal(['0%', '25%'])
      expect(await written('5s', everySecond)).to.deep.equal(['0%', '5%', '10%', '15%', '20%', '25%', '30%'])
      expect(await written('0', everySecond)).to.have.length(31)
      expect(await written('0%', everySecond)).to.have.length(31)
    })

    it('always writes a new status, a new phase and the last line', async () => {
      const out = new Collect()
      const renderer = await createRenderer('plain', {
        out,
        err: new Collect(),
        progressEvery: parseProgressEvery('50%'),
      })
      const queued = makeJob({status: 'queued', progress: 0})
      const running = makeJob({progress: 1})
      const nextPhase = makeJob({progress: 2, progress_detail: {...running.progress_detail, current_step: 'fts'}})
      const quiet = makeJob({...nextPhase, progress: 3})
      const done = makeJob({...quiet, status: 'completed', progress: 4})
      renderer.handle(change(queued, queued, 0, ['new']))
      renderer.handle(change(running, queued, 1, ['status', 'progress']))
      renderer.handle(change(nextPhase, running, 2))
      renderer.handle(change(quiet, nextPhase, 3))
      renderer.handle(change(done, quiet, 4, ['progress']))
      await renderer.close()
      const lines = out.text.trimEnd().split('\n')
      expect(lines.map((line) => / (\d+%)/.exec(line)?.[1])).to.deep.equal(['0%', '1%', '2%', '4%', undefined])
      expect(lines.at(-1)).to.equal('Done: 1 completed.')
    })

    it('is refused unless a percentage of at most 100 %, a duration, both, or 0', () => {
      expect(parseProgressEvery('10%,10s')).to.deep.equal({percent: 10, ms: 10_000})
      expect(parseProgressEvery(' 1m , 2.5% ')).to.deep.equal({percent: 2.5, ms: 60_000})
      expect(parseProgressEvery('30s')).to.deep.equal({percent: Infinity, ms: 30_000})
      for (const bad of ['10', '110%', '-5%', 'often', '10%,', ''])
        expect(() => parseProgressEvery(bad), bad).to.throw(`--progress-every takes a percentage of at most 100%`)
    })
  })

  it('says, when following, that it waits for new jobs', async () => {
    const out = new Collect()
    const renderer = await createRenderer('plain', {out, err: new Collect()})
    renderer.handle({type: 'idle', at: new Date('2026-11-28T09:15:00.000Z')})
    expect(out.text).to.equal('2026-11-28T09:15:00.000Z  No active jobs; waiting for new ones (Ctrl-C to stop)...\n')
  })
})
