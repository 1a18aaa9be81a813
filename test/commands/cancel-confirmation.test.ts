import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {isAlive} from '../../server/test/support/processes.js'
import {replaceStdin} from '../helpers/fake-stdin.js'
import {cancel, exitCodeOf, useCancelServer, waitFor} from '../helpers/servers/cancel-harness.js'
import {ADMIN_PASSWORD, REPO_ROOT, type WatchServer} from '../helpers/servers/watch-harness.js'

/**
 * `jobs cancel` asks before it cancels: it refuses without a terminal unless told --yes (or
 * --force), asks on a terminal (a fake stdin, and a real one in tmux) and acts on the answer.
 */

/** Runs tmux (the real terminal of the tty test) and gives its output. */
const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'})

describe('commands: jobs cancel (against the local server)', function () {
  this.timeout(60_000)
  let restoreStdin: (() => void) | undefined

  afterEach(() => {
    restoreStdin?.()
    restoreStdin = undefined
  })

  const cancelServer = useCancelServer()
  const {adminToken, hangingClone, status} = cancelServer
  let watch: WatchServer

  before(() => {
    watch = cancelServer.watch
  })

  it('refuses without a terminal and without --yes: exit 2, nothing cancelled, no request made', async () => {
    const jobId = await watch.seed({status: 'pending'})
    restoreStdin = replaceStdin({tty: false}).restore
    const {stderr, error} = await cancel(jobId)
    expect(exitCodeOf(error)).to.equal(2)
    expect(stderr).to.include('Refusing to cancel without confirmation: stdin is not a terminal.')
    expect(stderr).to.include('--yes')
    expect(await status(jobId)).to.equal('pending')
  })

  it('takes Ctrl-C at the question as a stop, not an error: exit 130, no "Error:", nothing cancelled', async () => {
    const jobId = await watch.seed({status: 'pending'})
    const terminal = replaceStdin({tty: true})
    restoreStdin = terminal.restore
    const asked = cancel(jobId)
    await waitFor('the question', () => (terminal.stdin.listenerCount('data') > 0 ? true : undefined))
    terminal.stdin.write('\u0003')
    const {stderr, error} = await asked
    expect(exitCodeOf(error)).to.equal(130)
    expect(stderr.split('\n').at(-2)).to.equal('Interrupted.')
    expect(stderr).not.to.include('Error')
    expect(await status(jobId)).to.equal('pending')
  })

  it('asks on a terminal: "n" cancels nothing, "y" cancels', async () => {
    const jobId = await watch.seed({status: 'pending'})
    const no = replaceStdin({tty: true})
    restoreStdin = no.restore
    const declined = cancel(jobId)
    await waitFor('the question', () => (no.stdin.listenerCount('data') > 0 ? true : undefined))
    no.stdin.write('n\n')
    const first = await declined
    expect(exitCodeOf(first.error)).to.equal(0)
    expect(first.stderr).to.include('Cancel 1 job(s)? (y/N)')
    expect(first.stdout).to.include('Nothing cancelled.')
    expect(await status(jobId)).to.equal('pending')
    no.restore()

    const yes = replaceStdin({tty: true})
    restoreStdin = yes.restore
    const accepted = cancel(jobId)
    await waitFor('the question', () => (yes.stdin.listenerCount('data') > 0 ? true : undefined))
    yes.stdin.write('y\n')
    const second = await accepted
    expect(exitCodeOf(second.error)).to.equal(0)
    expect(second.stdout).to.include('1 cancelled.')
    expect(await status(jobId)).to.equal('cancelled')
  })

  it('--force is --yes under its original cidx name', async () => {
    const jobId = await watch.seed({status: 'pending'})
    restoreStdin = replaceStdin({tty: false}).restore
    const {error} = await cancel('--force', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    expect(await status(jobId)).to.equal('cancelled')
  })

  it('on a real terminal (tmux): shows the selection, asks, and on "y" renders the cancel live', async () => {
    // A clone that never ends by itself: the job is still running however slowly the CLI starts.
    const clone = await hangingClone()
    const session = `cidx-cancel-${process.pid}`
    const script = join(watch.root, 'tty-cancel.sh')
    const env = watch.childEnv({CIDX_USERNAME: 'admin', CIDX_PASSWORD: ADMIN_PASSWORD})
    const exports = ['HOME', 'XDG_CONFIG_HOME', 'CIDX_SERVER_URL', 'CIDX_USERNAME', 'CIDX_PASSWORD', 'PATH']
      .map((name) => `export ${name}='${env[name]}'`)
      .join('\n')
    writeFileSync(
      script,
      `${exports}\nunset NO_COLOR FORCE_COLOR CI\ncd '${REPO_ROOT}'\n` +
        `node --import tsx --conditions=development --no-warnings=ExperimentalWarning bin/dev.js jobs cancel ${clone.jobId.slice(0, 8)}\n` +
        'echo "EXIT=$?"\nsleep 60\n',
    )
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '20', `sh ${script}`)
    try {
      const screen = () => tmux('capture-pane', '-p', '-t', session)
      await waitFor('the question', () => (screen().includes('Cancel 1 job(s)? (y/N)') ? true : undefined), 30_000)
      expect(screen()).to.include('1 job(s) to cancel:')
      expect(screen()).to.match(/● running\s+hanging-\d+\s+admin/)
      tmux('send-keys', '-t', session, 'y', 'Enter')
      const final = await waitFor('the command to end', () => {
        const text = screen()
        return text.includes('EXIT=') ? text : undefined
      })
      expect(final, final).to.include('EXIT=0')
      expect(final).to.match(/⊘ .*add_golden_repo\s+hanging-\d+\s+cancelled in [\d.]+ s/)
      expect(final).to.include('1 cancelled.')
      expect(
        await (
          await fetch(`${watch.url}/api/jobs/${clone.jobId}`, {
            headers: {authorization: `Bearer ${await adminToken()}`},
          })
        ).json(),
      ).to.include({
        status: 'cancelled',
      })
      expect(clone.pids.filter((pid) => isAlive(pid))).to.deep.equal([])
    } finally {
      tmux('kill-session', '-t', session)
      await clone.close()
    }
  })
})
