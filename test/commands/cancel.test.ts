import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {CancelResult} from '../../src/cancel/cancel.js'

import {startHangingGitServer} from '../../server/test/support/hanging-git-server.js'
import {isAlive} from '../../server/test/support/processes.js'
import {replaceStdin} from '../helpers/fake-stdin.js'
import {
  ADMIN_PASSWORD,
  REPO_ROOT,
  startWatchServer,
  useCliEnv,
  USER,
  type WatchServer,
} from '../helpers/servers/watch-harness.js'

/**
 * `jobs cancel` against the local server over real HTTP, with real jobs: activations that clone
 * and index a real git repository (throttled, so they are still running when cancelled), clones
 * from a git server that never answers, and seeded rows for the statuses a test needs.
 */

const TERMINAL = new Set(['completed', 'completed_partial', 'failed', 'cancelled'])

function exitCodeOf(error: unknown): number {
  if (error === undefined) return 0
  const code = (error as {oclif?: {exit?: number}}).oclif?.exit
  if (code === undefined) throw error
  return code
}

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => {
      setTimeout(resolve, 25)
    })
  }
}

/** Runs `cidx jobs cancel ARGS` in this process. */
function cancel(...args: string[]) {
  return runCommand(['jobs', 'cancel', ...args], {root: REPO_ROOT})
}

/** A seeded job's repository: the alias travels in `result`, as the server reports a repository job's repository. */
const ofRepository = (alias: string) => ({result: {alias}})

/** Runs tmux (the real terminal of the tty test) and gives its output. */
const tmux = (...args: string[]) => execFileSync('tmux', args, {encoding: 'utf8'})

describe('commands: jobs cancel (against the local server)', function () {
  this.timeout(60_000)
  let watch: WatchServer
  let restoreEnv: () => void
  let restoreStdin: (() => void) | undefined
  let stdoutTty: PropertyDescriptor | undefined
  let aliasCount = 0

  before(async () => {
    // 400 files in batches of 20, 250 ms apart: an activation indexes for about 5 s, time enough
    // for the CLI to start and cancel it while it runs, even on a busy machine.
    watch = await startWatchServer({goldenFiles: 400, jobThrottleMs: 250, workers: 1})
  })

  after(async () => {
    await watch.stop()
  })

  beforeEach(() => {
    restoreEnv = useCliEnv(watch)
    // The command output is read as a pipe would see it, whatever runs the tests.
    stdoutTty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
    Object.defineProperty(process.stdout, 'isTTY', {configurable: true, value: false})
  })

  afterEach(async () => {
    restoreStdin?.()
    restoreStdin = undefined
    if (stdoutTty) Object.defineProperty(process.stdout, 'isTTY', stdoutTty)
    else delete (process.stdout as {isTTY?: boolean}).isTTY
    restoreEnv()
    // Nothing of one test may keep the single worker busy for the next.
    const leftovers = watch.server.testing.db
      .prepare("SELECT job_id FROM jobs WHERE status IN ('pending', 'running')")
      .all() as {job_id: string}[]
    for (const {job_id: jobId} of leftovers) {
      const admin = await adminToken()
      await fetch(`${watch.url}/api/jobs/${jobId}`, {method: 'DELETE', headers: {authorization: `Bearer ${admin}`}})
    }

    await waitFor('the worker to be free', () =>
      watch.server.testing.childPids().length === 0 && idle() ? true : undefined,
    )
  })

  function idle(): boolean {
    return watch.server.testing.countJobs({status: 'running'}) === 0
  }

  async function adminToken(): Promise<string> {
    const response = await fetch(`${watch.url}/auth/login`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({username: 'admin', password: ADMIN_PASSWORD}),
    })
    return ((await response.json()) as {access_token: string}).access_token
  }

  /** The status as the server has it (wire names: `pending`, not `queued`). */
  async function status(jobId: string): Promise<string> {
    return (await watch.job(jobId)).status as string
  }

  /** A real activation of alice's, once it is indexing (after its clone: no git process left by then). */
  async function indexingActivation(): Promise<string> {
    const jobId = await watch.activate(`copy-${++aliasCount}`)
    await waitFor('the index phase', async () => {
      const job = await watch.job(jobId)
      const detail = job.phase_detail as null | string
      return job.current_phase === 'index' && detail && !detail.startsWith('0/') ? true : undefined
    })
    return jobId
  }

  function leftovers(): {staging: string[]; tmp: string[]} {
    return {
      tmp: readdirSync(join(watch.root, 'data', 'tmp')),
      staging: Object.keys(watch.server.testing.indexKeys()).filter((key) => key.startsWith('staging/')),
    }
  }

  it('cancels a pending job: it ends cancelled at once, never started', async () => {
    const running = await indexingActivation()
    const pending = await watch.activate(`copy-${++aliasCount}`)
    expect(await status(pending)).to.equal('pending')
    const {stdout, error} = await cancel('--yes', pending)
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.include('1 job(s) to cancel:')
    expect(stdout).to.match(
      new RegExp(`${pending}  activate_repository  copy-\\d+  cancelled in [\\d.]+ s: Job cancelled before it started`),
    )
    expect(stdout).to.include('1 cancelled.')
    const job = await watch.job(pending)
    expect(job).to.include({status: 'cancelled', started_at: null})
    expect(await status(running)).to.equal('running')
  })

  it('cancels a running index: it waits until the job has ended cancelled, and nothing is left behind', async () => {
    const jobId = await indexingActivation()
    const alias = `copy-${aliasCount}`
    const {stdout, error} = await cancel('--yes', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.include('cancelled in')
    expect(stdout).to.include('Job cancelled during execution')
    // The command returned only once the server showed the job ended: no further wait needed.
    expect(await watch.job(jobId)).to.include({status: 'cancelled', error: 'Job cancelled during execution'})
    expect(watch.server.testing.childPids(jobId)).to.deep.equal([])
    expect(leftovers()).to.deep.equal({tmp: [], staging: []})
    expect(existsSync(join(watch.root, 'data', 'activated', USER, alias))).to.equal(false)
  })

  /** A golden-repository addition of admin's cloning from a git server that never answers: it runs until cancelled. */
  async function hangingClone(): Promise<{close(): Promise<void>; jobId: string; pids: number[]}> {
    const hanging = await startHangingGitServer()
    const admin = await adminToken()
    const response = await fetch(`${watch.url}/api/admin/golden-repos`, {
      method: 'POST',
      headers: {authorization: `Bearer ${admin}`, 'content-type': 'application/json'},
      body: JSON.stringify({repo_url: hanging.url, alias: `hanging-${++aliasCount}`}),
    })
    const {job_id: jobId} = (await response.json()) as {job_id: string}
    const pids = await waitFor('git to be connected', () => {
      const live = watch.server.testing.childPids(jobId)
      return live.length > 0 && hanging.requests() > 0 ? live : undefined
    })
    return {jobId, pids, close: () => hanging.close()}
  }

  it('cancels a running clone within 5 s: git and its helpers are gone, no partial clone is left', async () => {
    const clone = await hangingClone()
    const restoreAlice = useCliEnv(watch, {CIDX_USERNAME: 'admin', CIDX_PASSWORD: ADMIN_PASSWORD})
    try {
      const started = Date.now()
      const {stdout, error} = await cancel('--yes', '--json', clone.jobId)
      expect(Date.now() - started).to.be.below(5000)
      expect(exitCodeOf(error)).to.equal(0)
      const [result] = JSON.parse(stdout) as CancelResult[]
      expect(result).to.include({job_id: clone.jobId, outcome: 'cancelled', final_status: 'cancelled'})
      expect(watch.server.testing.childPids(clone.jobId)).to.deep.equal([])
      expect(clone.pids.filter((pid) => isAlive(pid))).to.deep.equal([])
      expect(leftovers().tmp).to.deep.equal([])
      expect(existsSync(join(watch.root, 'data', 'golden', `hanging-${aliasCount}`))).to.equal(false)
    } finally {
      restoreAlice()
      await clone.close()
    }
  })

  it('reports a finished job as already finished, with its status, and exits 6', async () => {
    const jobId = watch.seed({
      status: 'completed',
      started_at: new Date(Date.now() - 5000),
      completed_at: new Date(),
      progress: 100,
    })
    const {stdout, error} = await cancel('--yes', '--json', jobId)
    expect(exitCodeOf(error)).to.equal(6)
    expect(JSON.parse(stdout)).to.deep.equal([
      {
        job_id: jobId,
        outcome: 'already_finished',
        final_status: 'completed',
        seconds: (JSON.parse(stdout) as CancelResult[])[0].seconds,
        message: 'Cannot cancel job in completed status',
      },
    ])
    expect(await status(jobId)).to.equal('completed')
  })

  it("refuses another user's job with exit 4 and leaves it alone", async () => {
    const jobId = watch.server.testing.insertJob({username: 'admin', status: 'running', started_at: new Date()}).job_id
    const {stderr, error} = await cancel('--yes', jobId)
    expect(exitCodeOf(error)).to.equal(4)
    expect(stderr).to.include(`No job found for "${jobId}"`)
    expect(watch.server.testing.db.prepare('SELECT status FROM jobs WHERE job_id = ?').get(jobId)).to.deep.equal({
      status: 'running',
    })
  })

  it('cancels by filter: only the active jobs that match, the selection shown first', async () => {
    const matching = [
      watch.seed({status: 'pending', ...ofRepository('frontend')}),
      watch.seed({status: 'running', started_at: new Date(), ...ofRepository('frontend')}),
    ]
    const otherRepo = watch.seed({status: 'pending', ...ofRepository('backend')})
    const finished = watch.seed({status: 'failed', error: 'boom', ...ofRepository('frontend')})
    const {stdout, error} = await cancel('--repository', 'frontend', '--yes')
    expect(exitCodeOf(error)).to.equal(0)
    const [heading, header, ...rest] = stdout.split('\n')
    expect(heading).to.equal('2 job(s) to cancel:')
    expect(header).to.match(/^ID\s+TYPE\s+STATUS\s+REPOSITORY\s+USER\s+CREATED$/)
    expect(
      rest
        .slice(0, 2)
        .map((line) => line.split(/\s+/)[0])
        .sort(),
    ).to.deep.equal([...matching].sort())
    expect(stdout).to.include('2 cancelled.')
    for (const jobId of matching) expect(await status(jobId)).to.equal('cancelled')
    expect(await status(otherRepo)).to.equal('pending')
    expect(await status(finished)).to.equal('failed')
  })

  it('says so and exits 0 when a filter selects nothing', async () => {
    watch.seed({status: 'completed', result: {alias: 'quiet'}})
    const {stdout, error} = await cancel('--repository', 'quiet', '--yes')
    expect(exitCodeOf(error)).to.equal(0)
    expect(stdout).to.equal('No jobs match: nothing to cancel.\n')
    const json = await cancel('--repository', 'quiet', '--yes', '--json')
    expect(JSON.parse(json.stdout)).to.deep.equal([])
  })

  it('refuses without a terminal and without --yes: exit 2, nothing cancelled, no request made', async () => {
    const jobId = watch.seed({status: 'pending'})
    restoreStdin = replaceStdin({tty: false}).restore
    const {stderr, error} = await cancel(jobId)
    expect(exitCodeOf(error)).to.equal(2)
    expect(stderr).to.include('Refusing to cancel without confirmation: stdin is not a terminal.')
    expect(stderr).to.include('--yes')
    expect(await status(jobId)).to.equal('pending')
  })

  it('asks on a terminal: "n" cancels nothing, "y" cancels', async () => {
    const jobId = watch.seed({status: 'pending'})
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
    const jobId = watch.seed({status: 'pending'})
    restoreStdin = replaceStdin({tty: false}).restore
    const {error} = await cancel('--force', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    expect(await status(jobId)).to.equal('cancelled')
  })

  it('--no-wait returns once the server accepted; the running job then stops on its own', async () => {
    const jobId = await indexingActivation()
    const {stdout, error} = await cancel('--yes', '--no-wait', '--json', jobId)
    expect(exitCodeOf(error)).to.equal(0)
    const results = JSON.parse(stdout) as CancelResult[]
    expect(results).to.have.length(1)
    expect(results[0]).to.include({job_id: jobId, outcome: 'requested', final_status: null})
    await waitFor('the job to end', async () => (TERMINAL.has(await status(jobId)) ? true : undefined), 5000)
    expect(await status(jobId)).to.equal('cancelled')
  })

  it('--json prints one object per job with exactly job_id, outcome, final_status, seconds, message', async () => {
    const pending = watch.seed({status: 'pending'})
    const done = watch.seed({status: 'completed', completed_at: new Date()})
    const {stdout, error} = await cancel('--yes', '--json', pending, done)
    expect(exitCodeOf(error)).to.equal(6)
    const results = JSON.parse(stdout) as CancelResult[]
    expect(results.map((result) => Object.keys(result))).to.deep.equal([
      ['job_id', 'outcome', 'final_status', 'seconds', 'message'],
      ['job_id', 'outcome', 'final_status', 'seconds', 'message'],
    ])
    expect(results.map((result) => [result.job_id, result.outcome, result.final_status])).to.deep.equal([
      [pending, 'cancelled', 'cancelled'],
      [done, 'already_finished', 'completed'],
    ])
    for (const result of results) expect(result.seconds).to.be.a('number').and.at.least(0)
    expect(stdout).to.not.include(ADMIN_PASSWORD)
  })

  it('takes unique ID prefixes (the short IDs of the table)', async () => {
    const jobId = watch.seed({status: 'pending', job_id: `abcd1234-${'0'.repeat(4)}-4000-8000-${'1'.repeat(12)}`})
    const {stdout, error} = await cancel('--yes', '--json', 'abcd1234')
    expect(exitCodeOf(error)).to.equal(0)
    expect((JSON.parse(stdout) as CancelResult[])[0]).to.include({job_id: jobId, outcome: 'cancelled'})
  })

  it('is a usage error (exit 2) with neither IDs nor a filter, or with both', async () => {
    const none = await cancel('--yes')
    expect(exitCodeOf(none.error)).to.equal(2)
    expect(none.stderr).to.include('Name the jobs to cancel')
    const both = await cancel('--yes', 'abcd1234', '--status', 'running')
    expect(exitCodeOf(both.error)).to.equal(2)
    expect(both.stderr).to.include('not both')
    const badTimeout = await cancel('--yes', '--wait-timeout', 'soon', 'abcd1234')
    expect(exitCodeOf(badTimeout.error)).to.equal(2)
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
      expect(final).to.match(/✔ .*add_golden_repo\s+hanging-\d+\s+cancelled in [\d.]+ s/)
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
