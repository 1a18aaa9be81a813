import {expect} from 'chai'

import {NetworkError} from '../../src/errors.js'
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

  it('says, when following, that it waits for new jobs', async () => {
    const out = new Collect()
    const renderer = await createRenderer('plain', {out, err: new Collect()})
    renderer.handle({type: 'idle', at: new Date('2026-11-28T09:15:00.000Z')})
    expect(out.text).to.equal('2026-11-28T09:15:00.000Z  No active jobs; waiting for new ones (Ctrl-C to stop)...\n')
  })
})
