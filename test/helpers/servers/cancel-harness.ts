/**
 * Test plumbing for the `jobs cancel` tests: the local server over real HTTP with real jobs
 * (activations that clone and index a real git repository, throttled so that they are still
 * running when cancelled; clones from a git server that never answers; seeded rows), and the
 * command run in-process.
 */
import {runCommand} from '@oclif/test'
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {waitFor as waitUntil} from '../../../server/test/support/api.js'
import {startHangingGitServer} from '../../../server/test/support/hanging-git-server.js'
import {ADMIN_PASSWORD, REPO_ROOT, startWatchServer, useCliEnv, type WatchServer} from './watch-harness.js'

/** The exit code a command run in-process asked for (0 when it returned normally). */
export function exitCodeOf(error: unknown): number {
  if (error === undefined) return 0
  const code = (error as {oclif?: {exit?: number}}).oclif?.exit
  if (code === undefined) throw error
  return code
}

/** Polls `check` until it gives a value; a real job or a terminal may take its time on a busy machine. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  return waitUntil(what, check, timeoutMs, 25)
}

/** Runs `cidx jobs cancel ARGS` in this process. */
export function cancel(...args: string[]) {
  return runCommand(['jobs', 'cancel', ...args], {root: REPO_ROOT})
}

/** A golden-repository addition of admin's, cloning from a git server that never answers: it runs until cancelled. */
export interface HangingClone {
  alias: string
  close(): Promise<void>
  jobId: string
  /** The job's git processes, once git is connected. */
  pids: number[]
}

export interface CancelServer {
  /** A fresh admin access token. */
  adminToken(): Promise<string>
  hangingClone(): Promise<HangingClone>
  /** A real activation of alice's as `alias`, once it is indexing (after its clone: no git process left by then). */
  indexingActivation(alias?: string): Promise<string>
  /** The server's temp files and staged index keys. */
  leftovers(): Promise<{staging: string[]; tmp: string[]}>
  /** A repository alias no test has used yet. */
  nextAlias(prefix: string): string
  /** The status as the server has it (wire names: `pending`, not `queued`). */
  status(jobId: string): Promise<string>
  readonly watch: WatchServer
}

/* eslint-disable mocha/no-top-level-hooks -- the hooks are registered in the describe that calls useCancelServer, not at the top level */
/**
 * Starts the server for the enclosing describe; runs each test as alice with stdout as a pipe, and
 * after each cancels what it left active and waits until the single worker is free again.
 */
export function useCancelServer(): CancelServer {
  let watch: WatchServer
  let restoreEnv: () => void
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
    if (stdoutTty) Object.defineProperty(process.stdout, 'isTTY', stdoutTty)
    else delete (process.stdout as {isTTY?: boolean}).isTTY
    restoreEnv()
    // Nothing of one test may keep the single worker busy for the next.
    const admin = await adminToken()
    for (const jobId of await activeJobIds(admin)) {
      await fetch(`${watch.url}/api/jobs/${jobId}`, {method: 'DELETE', headers: {authorization: `Bearer ${admin}`}})
    }

    await waitFor('the worker to be free', async () =>
      watch.server.testing.childPids().length === 0 && (await idle()) ? true : undefined,
    )
  })

  async function idle(): Promise<boolean> {
    return (await watch.server.testing.countJobs({status: 'running'})) === 0
  }

  /** Every user's pending and running jobs, as the admin lists them (on either store). */
  async function activeJobIds(admin: string): Promise<string[]> {
    const ids: string[] = []
    for (const status of ['pending', 'running']) {
      const response = await fetch(`${watch.url}/api/jobs?status=${status}&limit=100`, {
        headers: {authorization: `Bearer ${admin}`},
      })
      const {jobs} = (await response.json()) as {jobs: {job_id: string}[]}
      ids.push(...jobs.map((job) => job.job_id))
    }

    return ids
  }

  function nextAlias(prefix: string): string {
    return `${prefix}-${++aliasCount}`
  }

  async function adminToken(): Promise<string> {
    const response = await fetch(`${watch.url}/auth/login`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({username: 'admin', password: ADMIN_PASSWORD}),
    })
    return ((await response.json()) as {access_token: string}).access_token
  }

  return {
    get watch() {
      return watch
    },
    adminToken,
    nextAlias,
    async status(jobId) {
      return (await watch.job(jobId)).status as string
    },
    async indexingActivation(alias = nextAlias('copy')) {
      const jobId = await watch.activate(alias)
      await waitFor('the index phase', async () => {
        const job = await watch.job(jobId)
        const detail = job.phase_detail as null | string
        return job.current_phase === 'index' && detail && !detail.startsWith('0/') ? true : undefined
      })
      return jobId
    },
    async leftovers() {
      return {
        tmp: readdirSync(join(watch.root, 'data', 'tmp')),
        staging: Object.keys(await watch.server.testing.indexKeys()).filter((key) => key.startsWith('staging/')),
      }
    },
    async hangingClone() {
      const hanging = await startHangingGitServer()
      const admin = await adminToken()
      const alias = nextAlias('hanging')
      const response = await fetch(`${watch.url}/api/admin/golden-repos`, {
        method: 'POST',
        headers: {authorization: `Bearer ${admin}`, 'content-type': 'application/json'},
        body: JSON.stringify({repo_url: hanging.url, alias}),
      })
      const {job_id: jobId} = (await response.json()) as {job_id: string}
      const pids = await waitFor('git to be connected', () => {
        const live = watch.server.testing.childPids(jobId)
        return live.length > 0 && hanging.requests() > 0 ? live : undefined
      })
      return {alias, jobId, pids, close: () => hanging.close()}
    },
  }
}
/* eslint-enable mocha/no-top-level-hooks */
