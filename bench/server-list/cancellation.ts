import type {AddressInfo, Socket} from 'node:net'

import {startServer} from '@cidx/local-server'
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ADMIN_PASSWORD, login} from './http.js'

const CANCEL_RUNS = 10

/** What the cancellation bench reads of the server's answers: a submission's job_id, a job's state. */
interface JobAnswer {
  current_phase: null | string
  job_id: string
  status: string
}

/** The cancel timings of the jobs cancelled in one phase, sorted. */
export interface CancelTimings {
  phase: string
  timings: number[]
}

/** An HTTP "git server" that never answers: git stays connected until it is killed. */
async function hangingGitServer(): Promise<{close(): Promise<void>; url: string}> {
  const sockets = new Set<Socket>()
  const server: Server = createServer(() => {})
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
      })
    },
  }
}

function makeRepo(path: string, files: number): void {
  mkdirSync(join(path, 'src'), {recursive: true})
  for (let n = 0; n < files; n++) writeFileSync(join(path, 'src', `file-${n}.txt`), `bench file ${n}\n`.repeat(20))
  const git = (...args: string[]) =>
    spawnSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', ...args], {cwd: path})
  git('init', '--quiet', '--initial-branch=main')
  git('add', '--all')
  git('commit', '--quiet', '-m', 'bench')
}

async function until<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => {
      setTimeout(resolve, 2)
    })
  }
}

/**
 * DELETE of a running job until the job reads `cancelled` and no process of it is left, for a
 * job inside `git clone` (git + git-remote-http killed) and for one inside the index phase.
 */
export async function benchCancellation(): Promise<CancelTimings[]> {
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-cancel-'))
  const repo = join(root, 'repo')
  makeRepo(repo, 400)
  const hanging = await hangingGitServer()
  const server = await startServer({
    port: 0,
    dataDir: join(root, 'data'),
    adminPassword: ADMIN_PASSWORD,
    jobThrottleMs: 50,
  })
  try {
    const token = await login(server.url, 'admin', ADMIN_PASSWORD)
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(server.url + path, {
        method,
        headers: {authorization: `Bearer ${token}`, ...(body ? {'content-type': 'application/json'} : {})},
        body: body ? JSON.stringify(body) : undefined,
      })
      return (await response.json()) as JobAnswer
    }

    const results: CancelTimings[] = []
    for (const phase of ['clone', 'index']) {
      const timings: number[] = []
      for (let run = 0; run < CANCEL_RUNS; run++) {
        const {job_id: jobId} = await api('POST', '/api/admin/golden-repos', {
          repo_url: phase === 'clone' ? hanging.url : repo,
          alias: `cancel-${phase}-${run}`,
        })
        await until(async () => {
          const job = await api('GET', `/api/jobs/${jobId}`)
          if (phase === 'clone') return server.testing.childPids(jobId).length > 0 ? true : undefined
          return job.current_phase === 'index' ? true : undefined
        })
        const started = performance.now()
        await api('DELETE', `/api/jobs/${jobId}`)
        await until(async () =>
          (await api('GET', `/api/jobs/${jobId}`)).status === 'cancelled' &&
          server.testing.childPids(jobId).length === 0
            ? true
            : undefined,
        )
        timings.push(performance.now() - started)
      }

      results.push({phase, timings: timings.sort((a, b) => a - b)})
    }

    return results
  } finally {
    await server.close()
    await hanging.close()
    rmSync(root, {recursive: true, force: true})
  }
}
