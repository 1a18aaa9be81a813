import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT, startWatchServer, type WatchServer} from '../../helpers/servers/watch-harness.js'

/** A private tmux server for this test run, so nothing else's sessions are touched. */
const SOCKET = `cidx-watch-tty-${process.pid}`
const SESSION = 'watch'

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8'})
}

function screen(session = SESSION): string {
  return tmux('capture-pane', '-p', '-t', session)
}

/** Polls `check` until it returns something. */
async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${screen()}`)
    await new Promise((resolve) => {
      setTimeout(resolve, 100)
    })
  }
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
    try {
      tmux('kill-server')
    } catch {
      // Already gone with its last session.
    }

    await watch.stop()
  })

  /** Runs `cidx ARGS` in a new tmux session of 120 x 20; returns the file that logs every byte it writes. */
  function launch(session: string, args: string[]): string {
    const env = watch.childEnv()
    const rawLog = join(watch.root, `${session}.log`)
    const variables = [
      'CIDX_SERVER_URL',
      'CIDX_USERNAME',
      'CIDX_PASSWORD',
      'CIDX_CONFIG_DIR',
      'HOME',
      'XDG_CONFIG_HOME',
      'PATH',
    ]
    const envArgs = variables.filter((name) => env[name] !== undefined).map((name) => `${name}=${env[name]}`)
    // A small shell runs the CLI and prints its exit status; it lets Ctrl-C reach the CLI
    // without dying of it itself. The tmux server has this process's environment: the CLI must
    // not write V8 coverage, whose merge with the in-process runs' would garble the counts.
    const wrapper = join(watch.root, 'run.sh')
    writeFileSync(wrapper, 'trap : INT\n"$@"\necho "EXIT=$?"\n')
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
      'env',
      '-u',
      'NO_COLOR',
      '-u',
      'FORCE_COLOR',
      '-u',
      'NODE_V8_COVERAGE',
      'TERM=xterm-256color',
      ...envArgs,
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
    const a = watch.seed({
      status: 'running',
      started_at: new Date(),
      progress: 20,
      current_phase: 'index',
      phase_detail: '20/100 files',
      result: {alias: 'alpha'},
    })
    const b = watch.seed({
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

    watch.update(a, {progress: 70, phase_detail: '70/100 files'})
    await screenShows('the title updated in place', (text) => text.includes('70%  index 70/100'))
    // Updated in place: still one line per job.
    expect(
      screen()
        .split('\n')
        .filter((line) => line.includes(a.slice(0, 8))),
    ).to.have.length(1)

    watch.update(a, {status: 'completed', progress: 100, completed_at: new Date()})
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
    watch.update(b, {status: 'completed'})
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
