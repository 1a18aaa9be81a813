import {expect} from 'chai'

import type {WatchEvent} from '../../src/watch/job-watcher.js'

import {createRenderer} from '../../src/watch/watch-render.js'
import {ATTACKS, ESCAPED_TITLE, expectNoRawControls} from '../helpers/fixtures/hostile-text.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'
import {Collect, hostileJob, jobEvent, Screen} from '../helpers/fixtures/render-fixtures.js'

interface Rendered {
  err: string
  screen: Screen
}

/** Drives the terminal renderer into a fake screen; `width` as the terminal's. */
async function renderTty(
  drive: (handle: (event: WatchEvent) => void, screen: Screen) => Promise<void> | void,
  options: {color?: boolean; height?: number; stopped?: Error; summary?: boolean; width?: number} = {},
): Promise<Rendered> {
  const screen = new Screen()
  const err = new Collect()
  const renderer = await createRenderer('tty', {
    out: screen,
    err,
    color: options.color ?? false,
    width: options.width ?? 120,
    ...(options.height ? {height: options.height} : {}),
    ...(options.summary === undefined ? {} : {summary: options.summary}),
  })
  await drive((event) => renderer.handle(event), screen)
  await renderer.close(options.stopped)
  return {screen, err: err.text}
}

/** Longer than the renderer's gap between two redraws. */
const pause = () =>
  new Promise((resolve) => {
    setTimeout(resolve, 80)
  })

const ids = [
  '11111111-0000-4000-8000-000000000001',
  '22222222-0000-4000-8000-000000000002',
  '33333333-0000-4000-8000-000000000003',
  '44444444-0000-4000-8000-000000000004',
]

describe('watch/tty-renderer', () => {
  it('never draws more live lines than the terminal has rows: the rest are counted', async () => {
    const many = Array.from({length: 10}, (_, index) =>
      makeJob({job_id: `${String(index).padStart(8, '0')}-0000-4000-8000-000000000000`}),
    )
    const frames: string[][] = []
    await renderTty(
      async (handle, live) => {
        for (const job of many) handle(jobEvent(job))
        await pause()
        frames.push(live.lines)
      },
      {height: 6, stopped: new Error('stopped')},
    )
    expect(frames[0]).to.have.length(5)
    expect(frames[0].slice(0, 4).map((line) => line.slice(2, 10))).to.deep.equal([
      '00000000',
      '00000001',
      '00000002',
      '00000003',
    ])
    expect(frames[0][4]).to.equal('... and 6 more active jobs (a taller terminal shows them)')
  })

  it('leaves the summary out when asked (status --wait shows the job instead)', async () => {
    const job = makeJob({job_id: ids[0]})
    const {screen} = await renderTty(
      (handle) => {
        handle(jobEvent(job))
        handle(jobEvent({...job, status: 'completed', progress: 100}, job))
      },
      {summary: false},
    )
    expect(screen.lines).to.have.length(1)
    expect(screen.lines[0]).to.match(/^✔ 11111111 .*completed/)
  })

  it('shows one line per job, updated in place, each marked by its status, and ends with the summary', async () => {
    const frames: string[][] = []
    const {screen} = await renderTty(async (handle, live) => {
      const jobs = ids.map((jobId) => makeJob({job_id: jobId}))
      for (const job of jobs.slice(0, 2)) handle(jobEvent(job))
      await pause()
      handle({type: 'reconnecting', reason: 'down', at: new Date()})
      await pause()
      handle({type: 'reconnected', downForMs: 10, at: new Date()})
      // Two more jobs discovered meanwhile.
      handle(jobEvent(jobs[2]))
      handle(jobEvent({...jobs[3], status: 'queued', progress: 0}))
      await pause()
      frames.push(live.lines)
      handle(jobEvent({...jobs[0], status: 'completed', progress: 100}, jobs[0]))
      handle(jobEvent({...jobs[1], status: 'failed', error_message: 'clone failed: repository not found'}, jobs[1]))
      handle(jobEvent({...jobs[2], status: 'cancelled', error_message: 'Job cancelled during execution'}, jobs[2]))
      handle({type: 'gone', jobId: ids[3], previous: jobs[3], at: new Date()})
    })
    const [before] = frames
    expect(before).to.have.length(4)
    expect(before[0]).to.match(
      /^● 11111111 {2}sync_repository {2}backend {2}running {2}█+▌?░+ {2}42% {2}semantic 210\/500/,
    )
    expect(before[3]).to.match(/^○ 44444444 .* queued /)
    const {lines} = screen
    expect(lines).to.have.length(6)
    expect(lines[0]).to.match(/^✔ 11111111 {2}sync_repository {2}backend {2}completed {2}█{10} 100%/)
    expect(lines[1]).to.match(/^✖ 22222222 {2}sync_repository {2}backend {2}failed {2}[█▌░]+ {2}42%/)
    // The error once, under its job.
    expect(lines[1]).not.to.contain('clone failed')
    expect(lines[2]).to.equal('  clone failed: repository not found')
    expect(lines[3]).to.match(/^⊘ 33333333 .*cancelled.*Job cancelled during execution$/)
    expect(lines[4]).to.match(/^○ 44444444 .*queued.*\(no longer found on the server\)$/)
    expect(lines[5]).to.equal('Done: 1 completed, 1 failed, 1 cancelled, 1 gone.')
    expect(screen.cursorShown, 'the cursor is given back').to.equal(true)
    expect(screen.raw).to.include('\u001B[?25l')
  })

  it('says "reconnecting" on the open jobs while the server is away', async () => {
    let during: string[] = []
    await renderTty(async (handle, screen) => {
      handle(jobEvent(makeJob({job_id: ids[0]})))
      handle(jobEvent(makeJob({job_id: ids[1], status: 'completed', progress: 100})))
      handle({type: 'reconnecting', reason: 'down', at: new Date()})
      await pause()
      during = screen.lines
      handle(jobEvent(makeJob({job_id: ids[0], status: 'completed', progress: 100})))
    })
    // The ended job printed above for good; the active one says it.
    expect(during[0])
      .to.match(/^✔ 22222222 .*completed/)
      .and.not.to.contain('reconnecting')
    expect(during[1]).to.match(/^● 11111111 .*running.*\(reconnecting\.\.\.\)$/)
  })

  it('says so when there was nothing to watch', async () => {
    expect((await renderTty(() => {})).screen.lines).to.deep.equal(['No active jobs to watch.'])
  })

  it('while following with nothing active, says it waits for new jobs; the note goes when one starts', async () => {
    let waiting: string[] = []
    const {screen} = await renderTty(
      async (handle, live) => {
        handle({type: 'idle', at: new Date()})
        await pause()
        waiting = live.lines
        handle(jobEvent(makeJob()))
      },
      {stopped: new Error('interrupted'), width: 200},
    )
    expect(waiting).to.deep.equal(['No active jobs; waiting for new ones (Ctrl-C to stop)...'])
    expect(screen.lines).to.have.length(1)
    expect(screen.lines[0]).to.match(/^● 3f0c9a52 .*running.*\(no longer watched; the job goes on\)$/)
  })

  it('redraws at most every few tens of milliseconds, however fast the changes come, and shows the last one', async () => {
    const {screen} = await renderTty((handle) => {
      for (let progress = 1; progress <= 100; progress++)
        handle(jobEvent(makeJob({progress}), makeJob({progress: progress - 1})))
    })
    expect(screen.raw.split('\u001B[J')).to.have.length.below(6)
    expect(screen.lines[0]).to.match(/ 100% /)
  })

  it('cuts the live lines to the width, colours and all, so none wraps; an ended job is printed whole', async () => {
    let live: string[] = []
    const {screen} = await renderTty(
      async (handle, shown) => {
        handle(jobEvent(makeJob({repository: 'r'.repeat(200)})))
        await pause()
        live = shown.lines
        handle(jobEvent(makeJob({job_id: 'other', error_message: 'x'.repeat(200), status: 'failed'})))
      },
      {color: true, width: 40, stopped: new Error('stopped')},
    )
    expect(live).to.have.length(1)
    expect([...live[0]].length).to.be.at.most(39)
    expect(screen.lines).to.include(`  ${'x'.repeat(200)}`)
  })

  it('prints each job that ends above the live lines, which keep only the active jobs', async () => {
    let live: string[] = []
    const {screen} = await renderTty(async (handle, shown) => {
      const jobs = ids.map((jobId) => makeJob({job_id: jobId}))
      for (const job of jobs) handle(jobEvent(job))
      handle(jobEvent({...jobs[1], status: 'completed', progress: 100}, jobs[1]))
      handle(jobEvent({...jobs[3], status: 'completed', progress: 100}, jobs[3]))
      await pause()
      live = shown.lines
      handle(jobEvent({...jobs[0], status: 'completed', progress: 100}, jobs[0]))
      handle(jobEvent({...jobs[2], status: 'completed', progress: 100}, jobs[2]))
    })
    expect(live.map((line) => line.slice(0, 10))).to.deep.equal([
      '✔ 22222222',
      '✔ 44444444',
      '● 11111111',
      '● 33333333',
    ])
    expect(screen.lines.map((line) => line.slice(0, 10))).to.deep.equal([
      '✔ 22222222',
      '✔ 44444444',
      '✔ 11111111',
      '✔ 33333333',
      'Done: 4 co',
    ])
  })

  it("escapes the server's texts in the lines and in a failure shown under its job", async () => {
    const {screen} = await renderTty(
      async (handle) => {
        handle(jobEvent(hostileJob()))
        await pause()
        handle(jobEvent(hostileJob({status: 'failed'})))
      },
      {width: 2000},
    )
    for (const attack of Object.values(ATTACKS)) expect(screen.raw).not.to.include(attack)
    expectNoRawControls(screen.lines.join('\n'), 'the lines')
    for (const label of ['type', 'repo', 'phase', 'error']) expect(screen.raw).to.include(`${label}${ESCAPED_TITLE}`)
  })

  it('says on stderr, above the lines, that the server refused the event stream; the lines go on', async () => {
    const {screen, err} = await renderTty(async (handle) => {
      handle(jobEvent(makeJob()))
      await pause()
      handle({type: 'push_refused', reason: 'HTTP 429 Too Many Requests', at: new Date()})
      handle(jobEvent(makeJob({status: 'completed', progress: 100}), makeJob()))
    })
    expect(err).to.equal('cidx: the server refused an event stream (HTTP 429 Too Many Requests); polling instead\n')
    expect(screen.lines).to.have.length(2)
    expect(screen.lines[0]).to.match(/^✔ 3f0c9a52 .*completed/)
  })
})
