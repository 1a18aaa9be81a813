import {captureOutput} from '@oclif/test'
import {expect} from 'chai'

import {NetworkError} from '../../src/errors.js'
import type {Job} from '../../src/jobs/job.js'
import type {WatchEvent} from '../../src/watch/job-watcher.js'
import {chooseRenderMode, createRenderer, formatEta, formatStep} from '../../src/watch/watch-render.js'
import {ATTACKS, ESCAPED_TITLE, expectNoRawControls, hostile, RAW_CONTROL, withHostileTexts} from '../helpers/hostile-text.js'
import {makeJob} from '../helpers/job-fixtures.js'

const ANSI = /\u001B\[/
const ISO_STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/

function jobEvent(job: Job, previous: Job | null = null): WatchEvent {
  return {type: 'job', job, previous, changes: previous ? ['status'] : ['new'], at: new Date('2026-11-28T09:15:00.000Z')}
}

/** A running job whose every other text carries control codes. */
function hostileJob(fields: Partial<Job> = {}): Job {
  return {...withHostileTexts(makeJob()), status: 'running', ...fields}
}

class Collect {
  text = ''
  write(chunk: string) {
    this.text += chunk
    return true
  }
}

describe('watch-render', () => {
  describe('chooseRenderMode', () => {
    it('picks json when asked, listr2 on an animating terminal, plain lines otherwise', () => {
      expect(chooseRenderMode({json: true, animate: true})).to.equal('json')
      expect(chooseRenderMode({json: false, animate: true})).to.equal('tty')
      expect(chooseRenderMode({json: false, animate: false})).to.equal('plain')
    })
  })

  describe('formatStep and formatEta', () => {
    it('shows the step with its counts, and the ETA only while running', () => {
      expect(formatStep(makeJob())).to.equal('semantic 210/500')
      expect(formatStep(makeJob({progress_detail: {...makeJob().progress_detail, steps_completed: null}}))).to.equal('semantic')
      expect(formatEta(makeJob())).to.equal('ETA 1m 20s')
      expect(formatEta(makeJob({status: 'queued'}))).to.equal('')
      expect(formatEta(makeJob({progress_detail: {...makeJob().progress_detail, estimated_remaining: null}}))).to.equal('')
    })
  })

  describe('plain', () => {
    it('writes one timestamped line per change without ANSI codes, then a summary', async () => {
      const out = new Collect()
      const err = new Collect()
      const renderer = await createRenderer('plain', {out, err})
      const running = makeJob()
      const done = makeJob({status: 'completed', progress: 100, completed_at: '2026-11-28T09:14:15.010Z', progress_detail: {...running.progress_detail, estimated_remaining: null}})
      const failed = makeJob({job_id: 'data-retention-1a2b3c4d', job_type: 'data_retention_cleanup', repository: null, status: 'failed', error_message: 'disk full'})
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
      expect(lines[0]).to.contain(running.job_id).and.contain('sync_repository').and.contain('backend').and.contain('running')
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
      for (const label of ['id', 'type', 'repo', 'phase', 'status', 'error', 'reason', 'gone']) expect(out.text).to.include(`${label}${ESCAPED_TITLE}`)
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
  })

  describe('json', () => {
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
      expect(out.text).to.contain('\\u001b]0;pwned\\u0007').and.contain('\\u009b31m').and.contain('\\u202eevil')
      expect(out.text.trimEnd().split('\n').map((line) => JSON.parse(line))).to.deep.equal([job])
      expectNoRawControls(err.text, 'the notices')
      expect(err.text).to.contain(`reason${ESCAPED_TITLE}`).and.contain(`gone${ESCAPED_TITLE}`)
    })
  })

  describe('tty (listr2)', () => {
    // Not on a terminal here, so listr2 draws with its line-by-line fallback renderer: the tasks,
    // titles and outcomes are ours either way.
    /** `raw`: every byte as written (by default escape sequences are stripped), and titles up to 2000 columns. */
    async function renderTty(drive: (handle: (event: WatchEvent) => void) => Promise<void>, stopped?: Error, raw = false): Promise<string> {
      const {stdout, stderr, error} = await captureOutput(
        async () => {
          const renderer = await createRenderer('tty', {out: process.stdout, err: process.stderr, color: false, width: raw ? 2000 : 120})
          await drive((event) => renderer.handle(event))
          await renderer.close(stopped)
        },
        {stripAnsi: !raw},
      )
      if (error) throw error
      // The fallback renderer writes failures to stderr; a terminal shows them all in place.
      return stdout + stderr
    }

    const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

    it('runs one task per job, adds jobs that appear later, and ends each with its outcome', async () => {
      const ids = ['11111111-0000-4000-8000-000000000001', '22222222-0000-4000-8000-000000000002', '33333333-0000-4000-8000-000000000003', '44444444-0000-4000-8000-000000000004']
      const output = await renderTty(async (handle) => {
        const jobs = ids.map((job_id) => makeJob({job_id}))
        for (const job of jobs.slice(0, 2)) handle(jobEvent(job))
        await tick()
        handle({type: 'reconnecting', reason: 'down', at: new Date()})
        handle({type: 'reconnected', downForMs: 10, at: new Date()})
        // Two more jobs discovered while listr2 runs.
        handle(jobEvent(jobs[2]))
        handle(jobEvent(jobs[3]))
        await tick()
        handle(jobEvent({...jobs[0], status: 'completed', progress: 100}, jobs[0]))
        handle(jobEvent({...jobs[1], status: 'failed', error_message: 'clone failed: repository not found'}, jobs[1]))
        handle(jobEvent({...jobs[2], status: 'cancelled', error_message: 'Job cancelled during execution'}, jobs[2]))
        handle({type: 'gone', jobId: ids[3], previous: jobs[3], at: new Date()})
        await tick()
      })
      expect(output).to.match(/✔ 11111111 +sync_repository +backend +completed +█+ 100%/)
      // The error shows once, under the task, not in its title as well.
      expect(output).to.match(/✖ 22222222 +sync_repository +backend +failed +[█░]+ +42% \[FAILED: clone failed: repository not found\]/)
      expect(output).to.match(/↓ 33333333 .*cancelled.*Job cancelled during execution/)
      expect(output).to.match(/↓ 44444444 .*no longer found on the server/)
    })

    it('says so when there was nothing to watch', async () => {
      expect(await renderTty(async () => {})).to.equal('No active jobs to watch.\n')
    })

    it("escapes the server's texts in the task titles and in a failure shown under its task", async () => {
      const output = await renderTty(async (handle) => {
        handle(jobEvent(hostileJob()))
        await tick()
        handle(jobEvent(hostileJob({status: 'failed'})))
        await tick()
      }, undefined, true)
      expectNoRawControls(output, 'the tasks')
      for (const label of ['type', 'repo', 'error']) expect(output).to.include(`${label}${ESCAPED_TITLE}`)
      expect(output).to.include(`[FAILED: error${ESCAPED_TITLE}`)
    })

    it('on a (fake) terminal, redraws the titles in place with the escaped texts only', async () => {
      const stdout = process.stdout as NodeJS.WriteStream & {isTTY?: boolean}
      const was = {isTTY: stdout.isTTY, columns: stdout.columns}
      Object.assign(stdout, {isTTY: true, columns: 2000})
      let output: string
      try {
        output = await renderTty(async (handle) => {
          handle(jobEvent(hostileJob()))
          await new Promise((resolve) => setTimeout(resolve, 150))
          handle(jobEvent(hostileJob({status: 'cancelled'})))
          await tick()
        }, undefined, true)
      } finally {
        Object.assign(stdout, was)
      }

      expect(output, 'drawn by the terminal renderer (cursor hidden)').to.include('\u001B[?25l')
      // listr2 moves the cursor and clears lines itself: the server's sequences are what must not be there.
      for (const attack of Object.values(ATTACKS)) expect(output).not.to.include(attack)
      for (const label of ['type', 'repo', 'phase', 'error']) expect(output).to.include(`${label}${ESCAPED_TITLE}`)
    })

    it('on an early stop ends the open tasks as "no longer watched", the jobs untouched', async () => {
      const output = await renderTty(async (handle) => {
        handle(jobEvent(makeJob()))
        await tick()
      }, new Error('interrupted'))
      expect(output).to.match(/↓ 3f0c9a52 .*running.*no longer watched; the job goes on/)
    })
  })
})
