import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {appendFileSync, mkdirSync, readdirSync, rmSync, statfsSync} from 'node:fs'
import {join} from 'node:path'

import {Api, type ApiResponse, type HealthBody, waitFor, waitForJobEnd} from '../support/api.js'
import {type ChildServer, startChildServer} from '../support/child-server.js'
import {createRepo, numberedFiles} from '../support/git-fixtures.js'
import {processesMentioning} from '../support/processes.js'
import {ADMIN_PASSWORD, sqliteOf, startTestServer, tempRoot, type TestServer} from '../support/server-fixture.js'

/** Room for the database and a few small clones; filled at will by the tests. */
const FILESYSTEM_SIZE = '16m'

function mountSmallFilesystem(dir: string): void {
  mkdirSync(dir, {recursive: true})
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FILESYSTEM_SIZE}`, 'tmpfs', dir], {stdio: 'pipe'})
  } catch (error) {
    const reason = (error as {stderr?: Buffer}).stderr?.toString().trim() || (error as Error).message
    throw new Error(
      `the full-disk tests need a small filesystem of their own: 'mount -t tmpfs' failed (it needs root): ${reason}`,
    )
  }
}

function freeBytes(dir: string): number {
  const stats = statfsSync(dir)
  return stats.bavail * stats.bsize
}

/** Appends to `filler` until at most `leaveBytes` are free on its filesystem (0: until ENOSPC). */
function fill(dir: string, filler: string, leaveBytes = 0): void {
  for (const chunk of [1 << 20, 64 << 10, 4 << 10]) {
    try {
      while (freeBytes(dir) - chunk >= leaveBytes) appendFileSync(filler, Buffer.alloc(chunk, 1))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
    }
  }
}

/** The contract's shape of a transient storage error: 503, Retry-After, and `retry_after` saying the same. */
function expectStorageUnavailable(response: ApiResponse): void {
  expect(response.status, response.text).to.equal(503)
  expect(response.body).to.have.keys(['error', 'message', 'correlation_id', 'timestamp', 'retry_after'])
  expect(response.body.error).to.equal('service_unavailable')
  expect(response.body.message).to.match(/storage is full/)
  expect(Number(response.headers.get('retry-after')))
    .to.equal(response.body.retry_after)
    .and.above(0)
}

describe('server: a full data dir', function () {
  this.timeout(60_000)
  let root: string
  let mount: string
  let dataDir: string
  let filler: string
  let server: ChildServer | undefined
  let api: Api
  let token: string

  before(async () => {
    root = tempRoot('full-disk')
    mount = join(root, 'small-fs')
    mountSmallFilesystem(mount)
    dataDir = join(mount, 'data')
    filler = join(mount, 'filler')
    // The server runs in a child process: before the fix a full disk ended the process itself.
    server = await startChildServer(['--data-dir', dataDir, '--workers', '1', '--job-throttle-ms', '100'], {
      CIDX_ADMIN_PASSWORD: ADMIN_PASSWORD,
    })
    api = new Api(server.url)
    token = await api.login('admin', ADMIN_PASSWORD)
  })

  afterEach(() => rmSync(filler, {force: true}))

  after(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL')
      await server.exited
    }

    if (mount) execFileSync('umount', [mount])
    rmSync(root, {recursive: true, force: true})
  })

  async function addGolden(alias: string, repoUrl: string): Promise<ApiResponse> {
    return api.post('/api/admin/golden-repos', {repo_url: repoUrl, alias}, token)
  }

  function expectNoLeftovers(jobId: string): void {
    expect(processesMentioning(join(dataDir, 'tmp')), 'git processes of the job').to.deep.equal([])
    expect(readdirSync(join(dataDir, 'tmp')), `temporary clone of ${jobId}`).to.deep.equal([])
  }

  it('fails a clone that runs out of room with the storage error, leaving no git process and no temporary clone', async () => {
    const source = join(root, 'big-source')
    createRepo(source, {'a.bin': randomBytes(3 << 20), 'b.bin': randomBytes(3 << 20)})
    fill(mount, filler, 2 << 20)
    const added = await addGolden('too-big', source)
    expect(added.status, added.text).to.equal(202)
    const job = await waitForJobEnd(api, token, added.body.job_id, 30_000)
    expect(job.status).to.equal('failed')
    expect(job.error).to.match(/^Storage full: .*No space left on device/)
    expect(job.result).to.include({success: false, error: job.error})
    expectNoLeftovers(job.job_id)
    expect(server?.child.exitCode).to.equal(null)
  })

  it('fails the job that fills the disk, not the process; writes answer 503 and health says why until space is back', async () => {
    const source = join(root, 'source')
    createRepo(source, numberedFiles(400))
    const added = await addGolden('indexing', source)
    expect(added.status, added.text).to.equal(202)
    const jobId = added.body.job_id as string
    await waitFor(
      'the index phase',
      async () => ((await api.get(`/api/jobs/${jobId}`, token)).body.current_phase === 'index' ? true : undefined),
      20_000,
    )
    fill(mount, filler)

    const job = await waitForJobEnd(api, token, jobId, 20_000)
    expect(job.status).to.equal('failed')
    expect(job.error).to.match(/^Storage full: /)
    expect(server?.child.exitCode, 'the server process').to.equal(null)
    expectNoLeftovers(jobId)

    // The job's rollback gave its clone's room back: the disk is filled once more.
    fill(mount, filler)
    const health = await api.get<HealthBody>('/health')
    expect(health.status).to.equal(200)
    expect(health.body.status).to.equal('degraded')
    expect(health.body.storage).to.deep.equal({status: 'full'})
    expect(health.body.reasons.join('\n')).to.match(/Storage full: less than 1 MiB free on the data dir's filesystem/)
    expectStorageUnavailable(await api.post('/auth/login', {username: 'admin', password: ADMIN_PASSWORD}))
    expectStorageUnavailable(await addGolden('refused', source))
    expectStorageUnavailable(
      await api.post('/api/admin/users', {username: 'carol', password: 'carol-password', role: 'normal_user'}, token),
    )
    expect((await api.get(`/api/jobs/${jobId}`, token)).body.status, 'reads still work').to.equal('failed')

    rmSync(filler)
    await waitFor(
      'health to recover',
      async () => ((await api.get('/health')).body.status === 'healthy' ? true : undefined),
      10_000,
      100,
    )
    expect((await api.get<HealthBody>('/health')).body.storage).to.deep.equal({status: 'ok'})
    const small = join(root, 'small-source')
    createRepo(small, numberedFiles(3))
    const after = await addGolden('after', small)
    expect(after.status, after.text).to.equal(202)
    expect((await waitForJobEnd(api, token, after.body.job_id)).status).to.equal('completed')
  })
})

describe('server: a database that refuses writes during a job', () => {
  let test: TestServer

  before(async () => {
    test = await startTestServer({workers: 1, jobThrottleMs: 100})
    createRepo(join(test.root, 'source'), numberedFiles(200))
  })

  after(async () => {
    sqliteOf(test.server).pragma('query_only = OFF')
    await test.stop()
  })

  function storedStatus(jobId: string): string {
    return (sqliteOf(test.server).prepare('SELECT status FROM jobs WHERE job_id = ?').get(jobId) as {status: string})
      .status
  }

  it('fails the job, shows its end while storage refuses it, writes it once storage is back, and runs the next job', async () => {
    const {api, adminToken} = test
    const added = await api.post(
      '/api/admin/golden-repos',
      {repo_url: join(test.root, 'source'), alias: 'refused'},
      adminToken,
    )
    const jobId = added.body.job_id as string
    await waitFor('the index phase', async () =>
      (await api.get(`/api/jobs/${jobId}`, adminToken)).body.current_phase === 'index' ? true : undefined,
    )
    // SQLite itself refuses every write now, as it does on a read-only file or filesystem.
    sqliteOf(test.server).pragma('query_only = ON')

    const job = await waitForJobEnd(api, adminToken, jobId)
    expect(job).to.include({status: 'failed', error: 'Storage I/O error: attempt to write a readonly database'})
    expect(storedStatus(jobId), 'the stored row, which storage refused to change').to.equal('running')
    expect(readdirSync(join(test.dataDir, 'tmp'))).to.deep.equal([])
    const login = await api.post('/auth/login', {username: 'admin', password: ADMIN_PASSWORD})
    expect(login.status).to.equal(503)
    expect(login.body).to.include({error: 'service_unavailable'})
    expect(login.headers.get('retry-after')).to.equal(String(login.body.retry_after))

    sqliteOf(test.server).pragma('query_only = OFF')
    await waitFor('the failure to be written', () => (storedStatus(jobId) === 'failed' ? true : undefined), 5000, 50)
    await waitFor(
      'health to recover',
      async () => ((await api.get('/health')).body.status === 'healthy' ? true : undefined),
      5000,
      100,
    )
    const next = await api.post(
      '/api/admin/golden-repos',
      {repo_url: join(test.root, 'source'), alias: 'next'},
      adminToken,
    )
    expect(next.status, next.text).to.equal(202)
    expect((await waitForJobEnd(api, adminToken, next.body.job_id, 30_000)).status).to.equal('completed')
  })
})
