import type {ServerHandle} from '@cidx/local-server'

import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Job} from '../../../src/jobs/job.js'

import {idCacheKey, idCachePath} from '../../../src/completion/id-cache.js'
import {lines, useCliSession} from '../../helpers/cli-session.js'
import {ON_CLUSTER, startLocalServer} from '../../helpers/servers/local-server.js'

const ROOT = new URL('../../..', import.meta.url).pathname
const MINUTE = 60_000
const NORMALIZED_KEYS = [
  'completed_at',
  'created_at',
  'description',
  'error_message',
  'job_id',
  'job_type',
  'node',
  'progress',
  'progress_detail',
  'repository',
  'result',
  'started_at',
  'status',
  'user_id',
]

interface Seeded {
  created_at: Date
  job_id: string
  operation_type: string
  repository: null | string
  status: string
  username: string
}

/** The jobs `cidx jobs list --json FLAGS` prints; fails the test if it errs or writes to stderr. */
async function listJson(...flags: string[]): Promise<Job[]> {
  const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--json', ...flags], {root: ROOT})
  expect(error).to.equal(undefined)
  expect(stderr).to.equal('')
  return JSON.parse(stdout) as Job[]
}

describe('commands: jobs list (against the local server)', () => {
  let server: ServerHandle
  let dataDir: string
  let adminToken: string
  let bobToken: string
  const seeded: Seeded[] = []
  // Set when the jobs are seeded, not when the file loads: a long suite runs this file minutes later.
  let now: number
  const session = useCliSession(() => ({CIDX_SERVER_URL: server.url, CIDX_TOKEN: adminToken}))

  /** A job `minutesAgo` old, stored as a real server would send it. */
  async function seed(
    minutesAgo: number,
    fields: {operation_type?: string; repository?: null | string; status: string; username?: string},
  ): Promise<void> {
    const created = new Date(now - minutesAgo * MINUTE)
    const active = ['pending', 'resolving_prerequisites', 'running'].includes(fields.status)
    const wire = await server.testing.insertJob({
      operation_type: fields.operation_type ?? 'sync_repository',
      status: fields.status,
      created_at: created,
      started_at: fields.status === 'pending' ? null : new Date(created.getTime() + 1000),
      completed_at: active ? null : new Date(created.getTime() + 61_000),
      progress: active ? 40 : 100,
      username: fields.username ?? 'admin',
      result: fields.repository ? {success: true, alias: fields.repository} : null,
      repository: fields.repository ?? null,
    })
    seeded.push({
      ...fields,
      job_id: wire.job_id,
      operation_type: wire.operation_type,
      username: wire.username,
      repository: fields.repository ?? null,
      created_at: created,
    })
  }

  const visibleTo = (user: string) => seeded.filter((job) => user === 'admin' || job.username === user)
  const newestFirst = (jobs: Seeded[]) => [...jobs].sort((a, b) => b.created_at.getTime() - a.created_at.getTime())

  before(async () => {
    now = Date.now()
    dataDir = await mkdtemp(join(tmpdir(), 'cidx-list-server-'))
    server = await startLocalServer({port: 0, dataDir, adminPassword: 'admin-pw'})
    await server.testing.createUser('bob', 'bobs-pw', 'normal_user')
    const statuses = [
      'completed',
      'failed',
      'running',
      'pending',
      'cancelled',
      'completed_partial',
      'resolving_prerequisites',
    ]
    const types = ['sync_repository', 'add_golden_repo', 'reindex']
    // 35 jobs, one every 10 minutes: the newest is 10 minutes old, the oldest almost 6 hours.
    for (let index = 0; index < 35; index++) {
      await seed((index + 1) * 10, {
        status: statuses[index % statuses.length],
        operation_type: types[index % types.length],
        username: index % 5 === 0 ? 'bob' : 'admin',
        repository: index % 4 === 3 ? null : `repo-${index % 4}`,
      })
    }

    adminToken = await server.testing.createAccessToken('admin', {ttlSeconds: 3600})
    bobToken = await server.testing.createAccessToken('bob', {ttlSeconds: 3600})
  })

  after(async () => {
    await server.close()
    await rm(dataDir, {recursive: true, force: true})
  })

  it('prints a plain table with full IDs for a pipe, the footer on stderr', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list'], {root: ROOT}, {stripAnsi: false})
    expect(error).to.equal(undefined)
    const rows = lines(stdout)
    expect(rows[0]).to.match(/^ID {36}TYPE +STATUS +PROGRESS +REPOSITORY +CREATED +DURATION +USER$/)
    expect(rows).to.have.length(21)
    const expected = newestFirst(visibleTo('admin')).slice(0, 20)
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).to.deep.equal(expected.map((job) => job.job_id))
    expect(rows[1]).to.match(/ sync_repository +completed +100% +repo-0 +10m ago +1m 00s +bob$/)
    expect(stdout).not.to.include('\u001B')
    expect(stderr).to.equal(`Showing 20 of ${seeded.length} jobs; --limit N or --all for more.\n`)
  })

  it('prints the normalized jobs under --json and nothing else', async () => {
    const jobs = await listJson()
    expect(jobs).to.have.length(20)
    for (const job of jobs) expect(Object.keys(job).sort()).to.deep.equal(NORMALIZED_KEYS)
    // A single server names no node: the key is there, as null, like every field a server leaves out.
    // A cluster node names itself on the running jobs it seeded (they are its own).
    const named = jobs.filter((job) => job.node !== null)
    if (ON_CLUSTER) expect(named.map((job) => job.status).filter((status) => status !== 'running')).to.deep.equal([])
    else expect(named).to.deep.equal([])
    expect(jobs.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded)
        .slice(0, 20)
        .map((job) => job.job_id),
    )
    const queued = jobs.find((job) => job.job_id === seeded[3].job_id)!
    expect(queued).to.include({
      status: 'queued',
      job_type: 'sync_repository',
      user_id: 'admin',
      repository: null,
      started_at: null,
    })
  })

  it('prints only full IDs under --quiet', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '-q', '--limit', '5'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stderr).to.equal('')
    expect(stdout).to.equal(
      `${newestFirst(seeded)
        .slice(0, 5)
        .map((job) => job.job_id)
        .join('\n')}\n`,
    )
  })

  it('filters by status; pending is queued; several statuses are merged newest first', async () => {
    const failed = await listJson('--status', 'failed')
    expect(failed.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded.filter((job) => job.status === 'failed')).map((job) => job.job_id),
    )
    const pending = await listJson('--status', 'pending')
    expect(pending.length).to.equal(seeded.filter((job) => job.status === 'pending').length)
    expect(new Set(pending.map((job) => job.status))).to.deep.equal(new Set(['queued']))
    const merged = await listJson('--status', 'failed,cancelled', '--limit', '50')
    const expected = newestFirst(seeded.filter((job) => job.status === 'failed' || job.status === 'cancelled'))
    expect(merged.map((job) => job.job_id)).to.deep.equal(expected.map((job) => job.job_id))
  })

  it('--status active lists queued, running and resolving_prerequisites jobs', async () => {
    const jobs = await listJson('--status', 'active', '--all')
    const expected = seeded.filter((job) => ['pending', 'resolving_prerequisites', 'running'].includes(job.status))
    expect(jobs).to.have.length(expected.length)
    expect(new Set(jobs.map((job) => job.status))).to.deep.equal(
      new Set(['queued', 'running', 'resolving_prerequisites']),
    )
  })

  it('filters by type, repository, user and creation time', async () => {
    const types = await listJson('--type', 'reindex', '--type', 'add_golden_repo', '--all')
    expect(types).to.have.length(seeded.filter((job) => job.operation_type !== 'sync_repository').length)
    expect(types.every((job) => job.job_type !== 'sync_repository')).to.equal(true)
    const repository = await listJson('--repository', 'repo-1', '--all')
    expect(repository.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded.filter((job) => job.repository === 'repo-1')).map((job) => job.job_id),
    )
    const bob = await listJson('--user', 'bob', '--all')
    expect(bob.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded.filter((job) => job.username === 'bob')).map((job) => job.job_id),
    )
    // Jobs every 10 minutes from 10 minutes ago: 45m covers four of them, 25m..45m two.
    expect(await listJson('--since', '45m')).to.have.length(4)
    expect(await listJson('--since', '45m', '--until', '25m')).to.have.length(2)
    const sinceDate = new Date(now - 35 * MINUTE).toISOString()
    expect(await listJson('--since', sinceDate)).to.have.length(3)
  })

  it('--all lists every job, and the footer says so', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--all'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(lines(stdout)).to.have.length(seeded.length + 1)
    expect(stderr).to.equal(`Showing ${seeded.length} of ${seeded.length} jobs.\n`)
  })

  it('pages with --offset and sorts with --sort', async () => {
    const second = await listJson('--limit', '5', '--offset', '5')
    expect(second.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded)
        .slice(5, 10)
        .map((job) => job.job_id),
    )
    const {stderr} = await runCommand(['jobs', 'list', '--limit', '5', '--offset', '5'], {root: ROOT})
    expect(stderr).to.equal(`Showing 6-10 of ${seeded.length} jobs; --limit N or --all for more.\n`)
    const oldestFirst = await listJson('--sort', 'created', '--limit', '3')
    expect(oldestFirst.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded)
        .slice(0, 3)
        .reverse()
        .map((job) => job.job_id),
    )
    const byProgress = await listJson('--sort', 'progress', '--all')
    expect(byProgress.map((job) => job.progress)).to.deep.equal(
      byProgress.map((job) => job.progress).sort((a, b) => a - b),
    )
  })

  it('shows a non-admin only their own jobs, without a USER column', async () => {
    process.env.CIDX_TOKEN = bobToken
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--all'], {root: ROOT})
    expect(error).to.equal(undefined)
    const rows = lines(stdout)
    expect(rows[0]).not.to.include('USER')
    expect(rows.slice(1).map((row) => row.split(/\s+/)[0])).to.deep.equal(
      newestFirst(visibleTo('bob')).map((job) => job.job_id),
    )
    expect(stderr).to.equal(`Showing ${visibleTo('bob').length} of ${visibleTo('bob').length} jobs.\n`)
  })

  it('says so in one friendly line when nothing matches, and exits 0', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--status', 'failed', '--since', '5m'], {
      root: ROOT,
    })
    expect(error).to.equal(undefined)
    expect(stdout).to.equal('')
    expect(stderr).to.equal('No jobs match.\n')
    expect(await listJson('--repository', 'nowhere')).to.deep.equal([])
  })

  it('remembers the listed IDs for shell completion', async () => {
    await listJson('--limit', '3')
    const cache = JSON.parse(
      await readFile(
        idCachePath(session.sandbox.configDir, idCacheKey({serverUrl: server.url, staticToken: adminToken})),
        'utf8',
      ),
    ) as {
      jobs: {job_id: string}[]
    }
    expect(cache.jobs.map((job) => job.job_id)).to.deep.equal(
      newestFirst(seeded)
        .slice(0, 3)
        .map((job) => job.job_id),
    )
  })

  it('shows short IDs, symbols, colours and bars on a colour terminal', async () => {
    session.asTerminal(200)
    const {stdout, error} = await runCommand(['jobs', 'list', '--limit', '3'], {root: ROOT}, {stripAnsi: false})
    expect(error).to.equal(undefined)
    const rows = lines(stdout)
    expect(rows[1].startsWith(`${newestFirst(seeded)[0].job_id.slice(0, 8)} `)).to.equal(true)
    expect(stdout).to.include('\u001B[32m✔ completed\u001B[39m')
    expect(stdout).to.include('██████████')
  })

  it('keeps a terminal plain under NO_COLOR', async () => {
    session.asTerminal(200)
    process.env.NO_COLOR = '1'
    const {stdout, error} = await runCommand(['jobs', 'list', '--limit', '3'], {root: ROOT}, {stripAnsi: false})
    expect(error).to.equal(undefined)
    expect(stdout).not.to.include('\u001B')
    expect(stdout).not.to.include('█')
  })
})
