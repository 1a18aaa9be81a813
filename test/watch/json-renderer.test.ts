import {expect} from 'chai'

import {createRenderer} from '../../src/watch/watch-render.js'
import {ATTACKS, ESCAPED_TITLE, expectNoRawControls, hostile, RAW_CONTROL} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {Collect, hostileJob, jobEvent} from '../helpers/fixtures/render-fixtures.js'

describe('watch/json-renderer', () => {
  it('writes exactly one normalized job per line per change; notices go to stderr', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('json', {out, err})
    const first = makeJob()
    const second = makeJob({status: 'completed', progress: 100})
    renderer.handle(jobEvent(first))
    renderer.handle({type: 'reconnecting', reason: 'socket hang up', at: new Date()})
    renderer.handle({type: 'reconnected', downForMs: 1000, at: new Date()})
    renderer.handle(jobEvent(second, first))
    renderer.handle({type: 'gone', jobId: 'abcd-gone', previous: first, at: new Date()})
    await renderer.close()
    const lines = out.text.trimEnd().split('\n')
    expect(lines.map((line) => JSON.parse(line))).to.deep.equal([first, second])
    expect(err.text).to.contain('reconnecting').and.contain('reconnected after 1s').and.contain('abcd-gone')
  })

  it('writes the jobs as data: no raw control or bidi character, and JSON.parse gives back the original strings', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('json', {out, err})
    const job = hostileJob({status: hostile('status'), result: {alias: hostile('alias'), nested: [ATTACKS.c1Csi]}})
    renderer.handle(jobEvent(job))
    renderer.handle({type: 'reconnecting', reason: hostile('reason'), at: new Date()})
    renderer.handle({type: 'gone', jobId: hostile('gone'), previous: job, at: new Date()})
    await renderer.close()
    expect(RAW_CONTROL.test(out.text.trimEnd())).to.equal(false)
    expect(out.text)
      .to.contain(String.raw`\u001b]0;pwned\u0007`)
      .and.contain(String.raw`\u009b31m`)
      .and.contain(String.raw`\u202eevil`)
    expect(
      out.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).to.deep.equal([job])
    expectNoRawControls(err.text, 'the notices')
    expect(err.text).to.contain(`reason${ESCAPED_TITLE}`).and.contain(`gone${ESCAPED_TITLE}`)
  })

  it('says on stderr that the server refused the event stream; stdout stays NDJSON', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('json', {out, err})
    const job = makeJob()
    renderer.handle(jobEvent(job))
    renderer.handle({type: 'push_refused', reason: 'HTTP 429 Too Many Requests', at: new Date()})
    await renderer.close()
    expect(
      out.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).to.deep.equal([job])
    expect(err.text).to.equal(
      'cidx: the server refused an event stream (HTTP 429 Too Many Requests); polling instead\n',
    )
  })

  it('says on stderr, when following, that it waits for new jobs: stdout stays NDJSON', async () => {
    const out = new Collect()
    const err = new Collect()
    const renderer = await createRenderer('json', {out, err})
    renderer.handle({type: 'idle', at: new Date()})
    expect(out.text).to.equal('')
    expect(err.text).to.equal('cidx: No active jobs; waiting for new ones (Ctrl-C to stop)...\n')
  })
})
