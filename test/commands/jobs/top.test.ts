import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {
  alphaIndexing,
  REPO_ROOT,
  runCli,
  startWatchServer,
  useCliEnv,
  type WatchServer,
} from '../../helpers/servers/watch-harness.js'
import {eventually, exitStatusWrapper, privateTmux, terminalEnvArgs} from '../../helpers/tmux-terminal.js'

const terminal = privateTmux('cidx-top')
const {tmux} = terminal

function screen(session: string): string {
  return terminal.screen(session)
}

/** `cidx jobs top` (the built CLI) in a tmux pane of 120x40, every byte it writes logged. */
function startTop(watch: WatchServer, session: string) {
  const rawLog = join(watch.root, `${session}.log`)
  // The wrapper stays after the CLI ends: the pane shows the shell's screen again.
  const wrapper = exitStatusWrapper(watch.root, {stay: true})
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '40',
    '--',
    'sh',
    wrapper,
    ...terminalEnvArgs(watch.childEnv()),
    process.execPath,
    join(REPO_ROOT, 'bin/run.js'),
    'jobs',
    'top',
    '--interval',
    '200ms',
    ';',
    'pipe-pane',
    '-t',
    session,
    `cat >> '${rawLog}'`,
  )
  const shows = (what: string, matches: (text: string) => boolean) =>
    eventually(
      `the screen to show ${what}`,
      () => {
        const text = screen(session)
        return matches(text) ? text : undefined
      },
      () => screen(session),
    )
  const keys = (...names: string[]) => tmux('send-keys', '-t', session, ...names)
  const raw = () =>
    eventually(
      'the terminal log to catch up',
      () => {
        const text = readFileSync(rawLog, 'utf8')
        return text.includes('EXIT=') ? text : undefined
      },
      () => screen(session),
    )
  return {shows, keys, raw}
}

/** The terminal was given back: the alternate screen left and the cursor shown after the last time they were entered and hidden. */
function expectRestored(raw: string): void {
  expect(raw.lastIndexOf('\u001B[?1049h')).to.be.above(-1)
  expect(raw.lastIndexOf('\u001B[?1049l')).to.be.above(raw.lastIndexOf('\u001B[?1049h'))
  expect(raw.lastIndexOf('\u001B[?25h')).to.be.above(raw.lastIndexOf('\u001B[?25l'))
}

describe('commands: jobs top on a terminal (tmux pseudo-terminal, the built CLI, the local server)', function () {
  this.timeout(120_000)
  let watch: WatchServer

  before(async () => {
    // The tests drive the built CLI, as users run it: `npm test` builds first.
    const bundle = join(REPO_ROOT, 'dist/cidx.cjs')
    expect(
      existsSync(bundle) && readFileSync(bundle, 'utf8').includes('jobs top needs a terminal'),
      'dist/ has no jobs top: run `npm run build`',
    ).to.equal(true)
    watch = await startWatchServer()
  })

  after(async () => {
    terminal.kill()
    await watch.stop()
  })

  it('shows live rows, filters, opens the details, cancels the selected job, fits 80x24, and q gives the shell back (exit 0)', async () => {
    const a = await watch.seed(alphaIndexing())
    const b = await watch.seed({
      status: 'running',
      started_at: new Date(),
      progress: 35,
      operation_type: 'add_golden_repo',
      result: {alias: 'beta'},
    })
    const top = startTop(watch, 'top')
    // The header fills in as the answers arrive: who is asking, how changes come, the first snapshots.
    const first = await top.shows(
      'the header and both jobs',
      (text) =>
        /^cidx jobs top {2}http:\/\/127\.0\.0\.1:\d+ {2}alice {2}push {2}updated \d\d:\d\d:\d\d$/m.test(text) &&
        text.includes(a.slice(0, 8)) &&
        text.includes(b.slice(0, 8)),
    )
    expect(first).to.match(/running 2 {2}queued 0/)
    expect(first, first).to.match(new RegExp(`${a.slice(0, 8)}  sync_repository  ● running  [█▌░]{10}  20%  alpha`))
    expect(first).to.contain('? help  q quit')
    await top.shows('the queue health', (text) =>
      /^active 2 {3}sort -created {3}health [✔▲✖] \w+ {2}stuck \d+/m.test(text),
    )

    await watch.update(a, {progress: 70, phase_detail: '70/100 files'})
    await top.shows('the progress moved', (text) => new RegExp(`${a.slice(0, 8)} .* 70%`).test(text))

    top.keys('/')
    top.keys('-l', 'repo:alpha')
    top.keys('Enter')
    const filtered = await top.shows('the filter applied', (text) => text.includes('   filter repo:alpha   '))
    expect(filtered, filtered).to.contain(a.slice(0, 8))
    expect(filtered, filtered).not.to.contain(b.slice(0, 8))
    expect(filtered, filtered).to.match(new RegExp(`^> ${a.slice(0, 8)}`, 'm'))

    top.keys('Enter')
    const detail = await top.shows('the details', (text) => /^Repository +alpha/m.test(text))
    expect(detail, detail).to.match(new RegExp(`^Job +${a}$`, 'm'))
    expect(detail, detail).to.match(/^Step +index 70\/100/m)

    top.keys('c')
    await top.shows('the confirmation', (text) =>
      text.includes(`Cancel job ${a.slice(0, 8)} (sync_repository, alpha, running)? y/N`),
    )
    top.keys('y')
    await top.shows('the verified outcome', (text) =>
      new RegExp(`Job ${a.slice(0, 8)}: cancelled in [\\d.]+ s`).test(text),
    )
    expect((await watch.job(a)).status).to.equal('cancelled')

    top.keys('Escape')
    await top.shows('the list again', (text) => text.includes('No active jobs match the filter.'))
    top.keys('/')
    await top.shows('the filter prompt', (text) => text.includes('/repo:alpha█'))
    top.keys('Escape')
    await top.shows(
      'the filter cleared, the cancelled job gone from the active rows',
      (text) => text.includes('Filter cleared.') && !text.includes(a.slice(0, 8)) && text.includes(b.slice(0, 8)),
    )

    tmux('resize-window', '-t', 'top', '-x', '80', '-y', '24')
    const small = await top.shows(
      'the 80x24 layout',
      (text) => text.trimEnd().split('\n').length <= 24 && text.includes('running 1'),
    )
    const lines = small.split('\n')
    expect(lines[0]).to.match(/^cidx jobs top/)
    expect(small, small).to.match(new RegExp(`^> ${b.slice(0, 8)}  add_golden_repo  ● running +`, 'm'))
    expect(small, small).to.match(/^↑↓ Enter details {2}c cancel .* q quit$/m)
    for (const line of lines) expect([...line].length).to.be.at.most(80)

    top.keys('q')
    const after = await top.shows('the exit status', (text) => /EXIT=\d+/.test(text))
    expect(after, after).to.match(/^EXIT=0$/m)
    // The alternate screen is gone: the view is nowhere on the pane.
    expect(after, after).not.to.contain('cidx jobs top')
    expectRestored(await top.raw())
  })

  it('Ctrl-C exits 130 and restores the terminal, leaving the jobs running', async () => {
    const job = await watch.seed({status: 'running', started_at: new Date(), progress: 10, result: {alias: 'gamma'}})
    const top = startTop(watch, 'interrupt')
    await top.shows('the job', (text) => text.includes(job.slice(0, 8)))
    top.keys('C-c')
    const after = await top.shows('the exit status', (text) => /EXIT=\d+/.test(text))
    expect(after, after).to.match(/^EXIT=130$/m)
    expect(after, after).not.to.contain('cidx jobs top')
    expectRestored(await top.raw())
    expect((await watch.job(job)).status).to.equal('running')
  })

  it('SIGTERM restores the terminal before the process ends', async () => {
    const top = startTop(watch, 'terminate')
    await top.shows('the view', (text) => text.includes('? help  q quit'))
    // The pane runs sh, which runs the CLI (env execs node).
    const shell = tmux('list-panes', '-t', 'terminate', '-F', '#{pane_pid}').trim()
    const cli = execFileSync('pgrep', ['-P', shell], {encoding: 'utf8'}).trim()
    process.kill(Number(cli), 'SIGTERM')
    const after = await top.shows('the exit status', (text) => /EXIT=\d+/.test(text))
    expect(after, after).to.match(/^EXIT=143$/m)
    expect(after).not.to.contain('cidx jobs top')
    expectRestored(await top.raw())
  })
})

describe('commands: jobs top off a terminal', () => {
  let watch: WatchServer
  let restoreEnv: () => void

  before(async () => {
    watch = await startWatchServer()
    restoreEnv = useCliEnv(watch)
  })

  after(async () => {
    restoreEnv()
    await watch.stop()
  })

  it('refuses with exit 2 and points to jobs watch and jobs list --json', async () => {
    const run = await runCli(['jobs', 'top'])
    expect(run.exitCode).to.equal(2)
    expect(run.stderr).to.equal(
      'Error: jobs top needs a terminal (stdin and stdout).\nUse `cidx jobs watch` to follow jobs in a pipe or a log, or `cidx jobs list --json` for scripts.\n',
    )
  })
})
