import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {alphaIndexing, REPO_ROOT, startWatchServer, type WatchServer} from '../../helpers/servers/watch-harness.js'
import {
  eventually as eventuallyOn,
  exitStatusWrapper,
  privateTmux,
  terminalEnvArgs,
} from '../../helpers/tmux-terminal.js'

const terminal = privateTmux('cidx-watch-tty')
const {tmux} = terminal
const SESSION = 'watch'

function screen(session = SESSION): string {
  return terminal.screen(session)
}

/** Polls `check` until it returns something. */
function eventually<T>(what: string, check: () => T | undefined): Promise<T> {
  return eventuallyOn(what, check, () => screen())
}

function screenShows(what: string, matches: (text: string) => boolean, session = SESSION): Promise<string> {
  return eventually(`the screen to show ${what}`, () => {
    const text = screen(session)
    return matches(text) ? text : undefined
  })
}

describe('commands: jobs watch on a terminal (tmux pseudo-terminal, real CLI process)', function () {
  this.timeout(90_000)
  let watch: WatchServer

  before(async () => {
    // A golden repository, for a real job to follow.
    watch = await startWatchServer({goldenFiles: 200, jobThrottleMs: 20})
  })

  after(async () => {
    terminal.kill()
    await watch.stop()
  })

  /** Runs `cidx ARGS` in a new tmux session of 120 x 20; returns the file that logs every byte it writes. */
  function launch(session: string, args: string[]): string {
    const rawLog = join(watch.root, `${session}.log`)
    const wrapper = exitStatusWrapper(watch.root, {stay: false})
    tmux(
      'start-server',
      ';',
      'set-option',
      '-g',
      'remain-on-exit',
      'on',
      ';',
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '20',
      '--',
      'sh',
      wrapper,
      ...terminalEnvArgs(watch.childEnv()),
      process.execPath,
      join(REPO_ROOT, 'bin/dev.js'),
      ...args,
      ';',
      // Every byte the CLI writes to the terminal, to check what it leaves behind.
      'pipe-pane',
      '-t',
      session,
      `cat >> '${rawLog}'`,
    )
    return rawLog
  }

  it('draws one live task per job, ends each with its outcome, and Ctrl-C stops watching (exit 130, jobs untouched, cursor back)', async () => {
    const a = await watch.seed(alphaIndexing())
    const b = await watch.seed({
      status: 'running',
      started_at: new Date(),
      progress: 35,
      operation_type: 'add_golden_repo',
      result: {alias: 'beta'},
    })
    const rawLog = launch(SESSION, ['jobs', 'watch', a, b])

    const first = await screenShows(
      'both jobs running',
      (text) => text.includes(b.slice(0, 8)) && text.includes(a.slice(0, 8)),
    )
    // The running mark from the first frame on, the same as in every other view.
    expect(first).to.match(
      new RegExp(`● ${a.slice(0, 8)}  sync_repository  alpha  running  [█▌░]{10}  20%  index 20/100`),
    )
    expect(first).to.match(new RegExp(`● ${b.slice(0, 8)}  add_golden_repo  beta  running  [█▌░]{10}  35%`))
    // Full IDs are for pipes; the terminal shows short ones.
    expect(first).not.to.contain(a)

    await watch.update(a, {progress: 70, phase_detail: '70/100 files'})
    await screenShows('the title updated in place', (text) => text.includes('70%  index 70/100'))
    // Updated in place: still one line per job.
    expect(
      screen()
        .split('\n')
        .filter((line) => line.includes(a.slice(0, 8))),
    ).to.have.length(1)

    await watch.update(a, {status: 'completed', progress: 100, completed_at: new Date()})
    await screenShows('the first job done', (text) =>
      new RegExp(`✔ ${a.slice(0, 8)}  sync_repository  alpha  completed  ██████████ 100%  in \\d+s`).test(text),
    )

    tmux('send-keys', '-t', SESSION, 'C-c')
    const last = await screenShows('the exit status', (text) => /EXIT=\d+/.test(text))
    expect(last).to.match(/^EXIT=130$/m)
    expect(last).to.match(
      new RegExp(`● ${b.slice(0, 8)}  add_golden_repo  beta  running .*no longer watched; the job goes on`),
    )
    expect(last).to.contain('Stopped watching (the jobs keep running).')
    // The terminal is left as it was: the cursor shown again after the last time it was hidden,
    // and no spinner left behind.
    const raw = await eventually('the terminal log to catch up', () => {
      const text = readFileSync(rawLog, 'utf8')
      return text.includes('EXIT=') ? text : undefined
    })
    expect(raw.lastIndexOf('\u001B[?25l')).to.be.above(-1)
    expect(raw.lastIndexOf('\u001B[?25h')).to.be.above(raw.lastIndexOf('\u001B[?25l'))
    expect(last).not.to.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/)
    // Ctrl-C stopped the watching, not the job.
    expect((await watch.job(b)).status).to.equal('running')
    await watch.update(b, {status: 'completed'})
  })

  it('--follow with nothing active says it waits, draws a job started meanwhile to its end, then waits again', async () => {
    const session = 'follow'
    launch(session, ['jobs', 'watch', '--follow'])
    const idle = 'No active jobs; waiting for new ones (Ctrl-C to stop)...'
    await screenShows('the waiting note', (text) => text.includes(idle), session)
    const id = (await watch.activate('tty-follow')).slice(0, 8)
    const done = await screenShows(
      'the job ended, and the note again',
      (text) => text.includes(`✔ ${id}  activate_repository`) && text.trimEnd().endsWith(idle),
      session,
    )
    expect(done).to.match(new RegExp(`✔ ${id}  activate_repository  tty-follow  completed  ██████████ 100%  in \\d+s`))
    tmux('send-keys', '-t', session, 'C-c')
    const last = await screenShows('the exit status', (text) => /EXIT=\d+/.test(text), session)
    expect(last).to.match(/^EXIT=130$/m)
    expect(last).not.to.contain(idle)
  })
})
