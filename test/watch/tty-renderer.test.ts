import {captureOutput} from '@oclif/test'
import {expect} from 'chai'

import type {WatchEvent} from '../../src/watch/job-watcher.js'

import {createRenderer} from '../../src/watch/watch-render.js'
import {ATTACKS, ESCAPED_TITLE, expectNoRawControls} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {hostileJob, jobEvent} from '../helpers/fixtures/render-fixtures.js'

// Not on a terminal here, so listr2 draws with its line-by-line fallback renderer: the tasks,
// titles and outcomes are ours either way.
/** `raw`: every byte as written (by default escape sequences are stripped), and titles up to 2000 columns. */
async function renderTty(
  drive: (handle: (event: WatchEvent) => void) => Promise<void>,
  stopped?: Error,
  raw = false,
): Promise<string> {
  const {stdout, stderr, error} = await captureOutput(
    async () => {
      const renderer = await createRenderer('tty', {
        out: process.stdout,
        err: process.stderr,
        color: false,
        width: raw ? 2000 : 120,
      })
      await drive((event) => renderer.handle(event))
      await renderer.close(stopped)
    },
    {stripAnsi: !raw},
  )
  if (error) throw error
  // The fallback renderer writes failures to stderr; a terminal shows them all in place.
  return stdout + stderr
}

/** Lets listr2 draw a frame. */
const tick = () =>
  new Promise((resolve) => {
    setTimeout(resolve, 20)
  })

describe('watch/tty-renderer (listr2)', () => {
  it('runs one task per job, adds jobs that appear later, and ends each with its outcome', async () => {
    const ids = [
      '11111111-0000-4000-8000-000000000001',
      '22222222-0000-4000-8000-000000000002',
      '33333333-0000-4000-8000-000000000003',
      '44444444-0000-4000-8000-000000000004',
    ]
    const output = await renderTty(async (handle) => {
      const jobs = ids.map((jobId) => makeJob({job_id: jobId}))
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
    expect(output).to.match(
      /✖ 22222222 +sync_repository +backend +failed +[█░]+ +42% \[FAILED: clone failed: repository not found\]/,
    )
    expect(output).to.match(/↓ 33333333 .*cancelled.*Job cancelled during execution/)
    expect(output).to.match(/↓ 44444444 .*no longer found on the server/)
  })

  it('says so when there was nothing to watch', async () => {
    expect(await renderTty(async () => {})).to.equal('No active jobs to watch.\n')
  })

  it("escapes the server's texts in the task titles and in a failure shown under its task", async () => {
    const output = await renderTty(
      async (handle) => {
        handle(jobEvent(hostileJob()))
        await tick()
        handle(jobEvent(hostileJob({status: 'failed'})))
        await tick()
      },
      undefined,
      true,
    )
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
      output = await renderTty(
        async (handle) => {
          handle(jobEvent(hostileJob()))
          await new Promise((resolve) => {
            setTimeout(resolve, 150)
          })
          handle(jobEvent(hostileJob({status: 'cancelled'})))
          await tick()
        },
        undefined,
        true,
      )
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

  it('says on stderr that the server refused the event stream, and the tasks go on', async () => {
    const output = await renderTty(async (handle) => {
      handle(jobEvent(makeJob()))
      await tick()
      handle({type: 'push_refused', reason: 'HTTP 429 Too Many Requests', at: new Date()})
      handle(jobEvent(makeJob({status: 'completed', progress: 100}), makeJob()))
      await tick()
    })
    expect(
      output.match(/cidx: the server refused an event stream \(HTTP 429 Too Many Requests\); polling instead/g),
    ).to.have.length(1)
    expect(output).to.match(/✔ 3f0c9a52 .*completed/)
  })
})
