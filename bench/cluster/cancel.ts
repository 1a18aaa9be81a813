import {spawnSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type NodeSession, type Spread, spreadOf, until, type WireJobAnswer} from './http.js'

/** A git repository of `files` small files, committed on `main`. */
export function makeRepo(path: string, files: number): void {
  mkdirSync(join(path, 'src'), {recursive: true})
  for (let n = 0; n < files; n++) writeFileSync(join(path, 'src', `file-${n}.txt`), `bench file ${n}\n`.repeat(20))
  const git = (...args: string[]) => {
    const run = spawnSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', ...args], {
      cwd: path,
    })
    if (run.status !== 0) throw new Error(`git ${args[0]} failed: ${run.stderr}`)
  }

  git('init', '--quiet', '--initial-branch=main')
  git('add', '--all')
  git('commit', '--quiet', '-m', 'bench')
}

/**
 * A golden repository add, submitted on the first node, runs on whichever node claims it; once
 * it is indexing (slowed by the nodes' throttle), a DELETE goes to a node that is not running it,
 * and the time is taken until a GET on that node reads `cancelled`.
 */
export async function measureCrossNodeCancel(sessions: NodeSession[], repo: string, samples: number): Promise<Spread> {
  const timings: number[] = []
  for (let run = 0; run < samples; run++) {
    const submitted = await sessions[0].call<{job_id: string}>('POST', '/api/admin/golden-repos', {
      repo_url: repo,
      alias: `cancel-${run}`,
    })
    if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`)
    const jobId = submitted.body.job_id
    const running = await until(`job ${jobId} indexing`, async () => {
      const {body} = await sessions[0].call<WireJobAnswer>('GET', `/api/jobs/${jobId}`)
      if (body.status !== 'pending' && body.status !== 'running') throw new Error(`job ended early: ${body.status}`)
      return body.current_phase === 'index' ? body : undefined
    })
    const runner = urlOfNode(sessions, running.node)
    const other = sessions.find((session) => session.url !== runner)
    if (!other) throw new Error('no node other than the running one')
    const start = performance.now()
    const deleted = await other.call('DELETE', `/api/jobs/${jobId}`)
    if (deleted.status !== 200) throw new Error(`DELETE answered ${deleted.status}`)
    await until(`job ${jobId} cancelled`, async () => {
      const {body} = await other.call<WireJobAnswer>('GET', `/api/jobs/${jobId}`)
      return body.status === 'cancelled' ? true : undefined
    })
    timings.push(performance.now() - start)
  }

  return spreadOf(timings)
}

/** Node names are `node-1`, `node-2` ... in the order of the sessions (the launcher names them so). */
function urlOfNode(sessions: NodeSession[], node: null | string | undefined): string {
  const index = Number(/^node-(\d+)$/.exec(node ?? '')?.[1]) - 1
  const session = sessions[index]
  if (!session) throw new Error(`a running job names no known node: ${node}`)
  return session.url
}
