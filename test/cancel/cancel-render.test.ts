import {expect} from 'chai'

import type {CancelResult} from '../../src/cancel/cancel.js'
import type {Job} from '../../src/jobs/job.js'

import {createCancelRenderer, formatSelection, outcomeText, summaryLine} from '../../src/cancel/cancel-render.js'
import {stripAnsi} from '../../src/ui/terminal.js'
import {
  ATTACKS,
  ESCAPED_TITLE,
  expectNoRawControls,
  hostile,
  withHostileTexts,
} from '../helpers/fixtures/hostile-text.js'
import {makeJob, noProgressDetail} from '../helpers/fixtures/job-fixtures.js'

function job(id: string, status: string, fields: Partial<Job> = {}): Job {
  const now = Date.now()
  return makeJob({
    job_id: id,
    job_type: 'add_golden_repo',
    description: 'Add golden repository backend',
    status,
    progress: 40,
    created_at: new Date(now - 90_000).toISOString(),
    started_at: new Date(now - 80_000).toISOString(),
    user_id: 'admin',
    progress_detail: noProgressDetail(),
    ...fields,
  })
}

function result(
  jobId: string,
  outcome: CancelResult['outcome'],
  finalStatus: null | string,
  {message = 'msg', seconds = 0.25}: {message?: null | string; seconds?: number} = {},
): CancelResult {
  return {job_id: jobId, outcome, final_status: finalStatus, seconds, message}
}

class Collect {
  text = ''

  write(chunk: string): boolean {
    this.text += chunk
    return true
  }
}

const A = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
const B = '3f0c9a52-1111-4b7a-9c11-5e2d7f6a0b44'
const C = '7b1d0e44-2222-4b7a-9c11-5e2d7f6a0b44'

/** A job whose every text but its ID carries control codes. */
function hostileJob(id: string): Job {
  return {...withHostileTexts(job(id, 'running')), job_id: id}
}

/** What a hostile server answers to the cancel: its status and its words. */
function hostileResult(id: string): CancelResult {
  return result(id, 'already_finished', hostile('final'), {message: `Cannot cancel job in ${hostile('final')} status`})
}

describe('lib/cancel-render', () => {
  describe('formatSelection', () => {
    it('shows full IDs and plain statuses for a pipe', () => {
      const lines = formatSelection([job(A, 'running'), job(C, 'queued', {repository: null, started_at: null})], {
        tty: false,
        color: false,
        width: 80,
      })
      expect(lines[0]).to.equal('2 job(s) to cancel:')
      expect(lines[1]).to.match(/^ID\s+TYPE\s+STATUS\s+REPOSITORY\s+USER\s+CREATED$/)
      expect(lines[2]).to.match(new RegExp(`^${A}  add_golden_repo  running\\s+backend\\s+admin  1m ago$`))
      expect(lines[3]).to.match(new RegExp(`^${C}  add_golden_repo  queued\\s+-\\s+admin  1m ago$`))
    })

    it('shows short IDs (lengthened where two would clash), symbols and colour on a terminal, within the width', () => {
      const lines = formatSelection([job(A, 'running'), job(B, 'queued'), job(C, 'running')], {
        tty: true,
        color: true,
        width: 40,
      })
      const plain = lines.map((line) => stripAnsi(line))
      expect(plain[2].startsWith('3f0c9a52-8d1')).to.equal(true)
      expect(plain[3].startsWith('3f0c9a52-111')).to.equal(true)
      expect(plain[4].startsWith('7b1d0e44 ')).to.equal(true)
      expect(plain[2]).to.include('● running')
      expect(lines[2]).to.include('\u001B[34m')
      for (const line of plain) expect(line.length).to.be.at.most(40)
    })

    it("escapes the server's texts in every cell, in a pipe and on a terminal", () => {
      for (const tty of [false, true]) {
        const lines = formatSelection([hostileJob(A)], {tty, color: tty, width: 1000})
        expectNoRawControls(lines.join('\n'), `the selection (tty: ${tty})`, {ownColours: true})
        for (const label of ['status', 'type', 'repo', 'user']) expect(lines[2]).to.include(`${label}${ESCAPED_TITLE}`)
      }
    })
  })

  describe('outcomeText and summaryLine', () => {
    it('says how each job ended in a few words', () => {
      expect(outcomeText(result(A, 'cancelled', 'cancelled', {seconds: 0.12}))).to.equal('cancelled in 0.12 s')
      expect(outcomeText(result(A, 'cancelled', 'failed', {seconds: 2}))).to.equal(
        'cancelled in 2 s (reported as failed)',
      )
      expect(outcomeText(result(A, 'requested', null))).to.equal('cancel requested')
      expect(outcomeText(result(A, 'already_finished', 'completed'))).to.equal('already finished (completed)')
      expect(outcomeText(result(A, 'already_finished', null))).to.equal('already finished')
      expect(outcomeText(result(A, 'failed', 'completed'))).to.equal('not cancelled (completed)')
      expect(outcomeText(result(A, 'timed_out', 'running', {seconds: 30}))).to.equal(
        'timed out (still running after 30 s)',
      )
      expect(outcomeText(result(A, 'not_found', null))).to.equal('not found or not yours')
      expect(outcomeText(result(A, 'error', null))).to.equal('error')
    })

    it('counts outcomes in the order they first came', () => {
      const results = [
        result(A, 'cancelled', 'cancelled'),
        result(B, 'already_finished', 'failed'),
        result(C, 'cancelled', 'cancelled'),
      ]
      expect(summaryLine(results)).to.equal('2 cancelled, 1 already finished.')
    })
  })

  describe('plain renderer', () => {
    const PLAIN = {tty: false, color: false, width: 80, animate: false}

    it('prints one line per job as its outcome is known, then the summary; nothing for the steps before', async () => {
      const out = new Collect()
      const renderer = await createCancelRenderer([job(A, 'running')], {out, ...PLAIN})
      renderer.update({job_id: A, stage: 'sending'})
      renderer.update({job_id: A, stage: 'waiting', status: 'running'})
      expect(out.text).to.equal('')
      renderer.update({
        job_id: A,
        stage: 'done',
        result: result(A, 'cancelled', 'cancelled', {message: 'Job cancelled during execution', seconds: 0.31}),
      })
      renderer.update({
        job_id: C,
        stage: 'done',
        result: result(C, 'not_found', null, {message: 'Job not found or not authorized'}),
      })
      await renderer.close()
      expect(out.text).to.equal(
        [
          `${A}  add_golden_repo  backend  cancelled in 0.31 s: Job cancelled during execution`,
          `${C}  not found or not yours: Job not found or not authorized`,
          '1 cancelled, 1 not found or not yours.',
          '',
        ].join('\n'),
      )
    })

    it('lets the outcome stand alone when the server gave no words for the cancel', async () => {
      const out = new Collect()
      const renderer = await createCancelRenderer([job(A, 'running')], {out, ...PLAIN})
      renderer.update({
        job_id: A,
        stage: 'done',
        result: result(A, 'cancelled', 'cancelled', {message: null, seconds: 0.9}),
      })
      await renderer.close()
      expect(out.text.split('\n')[0]).to.equal(`${A}  add_golden_repo  backend  cancelled in 0.9 s`)
    })

    it("escapes the job's fields, the server's status and its words", async () => {
      const out = new Collect()
      const renderer = await createCancelRenderer([hostileJob(A)], {out, ...PLAIN})
      renderer.update({job_id: A, stage: 'done', result: hostileResult(A)})
      await renderer.close()
      expectNoRawControls(out.text, 'the outcome line')
      expect(out.text)
        .to.include(`type${ESCAPED_TITLE}`)
        .and.include(`already finished (final${ESCAPED_TITLE}`)
        .and.include(`Cannot cancel job in final${ESCAPED_TITLE}`)
    })

    it('prints no summary when nothing finished (interrupted before any outcome)', async () => {
      const out = new Collect()
      const renderer = await createCancelRenderer([job(A, 'running')], {out, ...PLAIN})
      await renderer.close()
      expect(out.text).to.equal('')
    })
  })

  describe('listr2 renderer', () => {
    // Under test stdout is no terminal, so listr2 draws with its line-by-line fallback renderer;
    // the task logic (titles, outcomes, symbols) is the same as on a terminal.
    let written: string
    const originals = {stdout: process.stdout.write, stderr: process.stderr.write}
    const capture = ((chunk: string | Uint8Array) => {
      written += chunk.toString()
      return true
    }) as typeof process.stdout.write

    beforeEach(() => {
      written = ''
      process.stdout.write = capture
      process.stderr.write = capture
    })

    afterEach(() => {
      process.stdout.write = originals.stdout
      process.stderr.write = originals.stderr
    })

    it('runs one task per job, retitles it as it goes and ends it by outcome', async () => {
      const out = new Collect()
      const jobs = [job(A, 'running'), job(B, 'completed'), job(C, 'running')]
      const renderer = await createCancelRenderer(jobs, {out, tty: true, color: false, width: 100, animate: true})
      renderer.update({job_id: A, stage: 'sending'})
      renderer.update({job_id: A, stage: 'waiting', status: 'running'})
      renderer.update({job_id: 'not-listed', stage: 'sending'})
      await new Promise((resolve) => {
        setTimeout(resolve, 20)
      })
      renderer.update({
        job_id: A,
        stage: 'done',
        result: result(A, 'cancelled', 'cancelled', {message: 'Job cancelled during execution', seconds: 0.4}),
      })
      renderer.update({
        job_id: B,
        stage: 'done',
        result: result(B, 'already_finished', 'completed', {message: 'Cannot cancel job in completed status'}),
      })
      renderer.update({
        job_id: C,
        stage: 'done',
        result: result(C, 'timed_out', 'running', {message: 'Still running after 30 s', seconds: 30}),
      })
      await renderer.close()
      const text = stripAnsi(written)
      // Each led by the mark of its job's status, the same as in every other view; no listr2 icon or spinner.
      expect(text).to.match(/^⊘ 3f0c9a52-8d1\S*\s+add_golden_repo\s+backend\s+cancelled in 0\.4 s/m)
      expect(text).to.match(/^✔ 3f0c9a52-111\S*\s+add_golden_repo\s+backend\s+already finished \(completed\)/m)
      expect(text).to.match(/^● 7b1d0e44\s+add_golden_repo\s+backend\s+timed out \(still running after 30 s\)/m)
      expect(text).not.to.match(/[↓✖⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
      expect(text).to.include('Still running after 30 s')
      expect(out.text).to.equal('1 cancelled, 1 already finished, 1 timed out.\n')
    })

    it("escapes the job's fields, the status it waits on and the server's answer in the task titles and errors (a fake terminal: titles redrawn in place)", async () => {
      const out = new Collect()
      const stdout = process.stdout as NodeJS.WriteStream & {isTTY?: boolean}
      const was = {isTTY: stdout.isTTY, columns: stdout.columns}
      Object.assign(stdout, {isTTY: true, columns: 1000})
      try {
        const renderer = await createCancelRenderer([hostileJob(A), hostileJob(C)], {
          out,
          tty: true,
          color: false,
          width: 1000,
          animate: true,
        })
        renderer.update({job_id: A, stage: 'waiting', status: hostile('waiting')})
        await new Promise((resolve) => {
          setTimeout(resolve, 150)
        })
        renderer.update({job_id: A, stage: 'done', result: hostileResult(A)})
        renderer.update({job_id: C, stage: 'done', result: result(C, 'error', null, {message: hostile('server said')})})
        await renderer.close()
      } finally {
        Object.assign(stdout, was)
      }

      expect(written, 'drawn by the terminal renderer (cursor hidden)').to.include('\u001B[?25l')
      // The terminal renderer moves the cursor and clears lines itself: the server's sequences are what must not be there.
      for (const attack of Object.values(ATTACKS)) expect(written).not.to.include(attack)
      expect(written)
        .to.include(`type${ESCAPED_TITLE}`)
        .and.include(`waiting for it to stop (waiting${ESCAPED_TITLE}`)
        .and.include(`server said${ESCAPED_TITLE}`)
    })

    it('ends the tasks of jobs still waiting when stopped early, saying the cancel request stands', async () => {
      const out = new Collect()
      const renderer = await createCancelRenderer([job(A, 'running')], {
        out,
        tty: true,
        color: false,
        width: 100,
        animate: true,
      })
      renderer.update({job_id: A, stage: 'sending'})
      await renderer.close()
      expect(stripAnsi(written)).to.include('stopped waiting (the cancel request stands)')
      expect(out.text).to.equal('')
    })
  })
})
