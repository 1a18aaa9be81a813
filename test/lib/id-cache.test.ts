import {expect} from 'chai'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {idCachePath, MAX_RECENT_JOBS, recentJobs, rememberJobs} from '../../src/lib/id-cache.js'

function job(id: string, status = 'running', type = 'sync_repository') {
  return {job_id: id, job_type: type, status}
}

describe('id-cache', () => {
  let base: string
  let configDir: string

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cidx-id-cache-'))
    configDir = join(base, 'config')
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('is empty before anything was remembered', async () => {
    expect(await recentJobs(configDir)).to.deep.equal([])
  })

  it('keeps the jobs of the latest call first, in their order, with type and status', async () => {
    await rememberJobs(configDir, [job('a1'), job('b2', 'queued')])
    await rememberJobs(configDir, [job('c3', 'failed', 'index_repository'), job('a1', 'completed')])
    expect(await recentJobs(configDir)).to.deep.equal([
      {job_id: 'c3', job_type: 'index_repository', status: 'failed'},
      {job_id: 'a1', job_type: 'sync_repository', status: 'completed'},
      {job_id: 'b2', job_type: 'sync_repository', status: 'queued'},
    ])
  })

  it('stores only the fields completion needs, in a private file in a private directory', async () => {
    await rememberJobs(configDir, [{...job('a1'), description: 'Sync repository backend'} as ReturnType<typeof job>])
    const file = idCachePath(configDir)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect((await stat(configDir)).mode & 0o777).to.equal(0o700)
    expect(await readFile(file, 'utf8')).not.to.include('Sync repository backend')
  })

  it(`keeps the newest ${MAX_RECENT_JOBS} jobs`, async () => {
    const many = Array.from({length: MAX_RECENT_JOBS + 50}, (_, index) => job(`job-${index}`))
    await rememberJobs(configDir, many.slice(0, 100))
    await rememberJobs(configDir, many.slice(100))
    const cached = await recentJobs(configDir)
    expect(cached).to.have.length(MAX_RECENT_JOBS)
    expect(cached[0].job_id).to.equal('job-100')
    expect(cached.at(-1)?.job_id).to.equal(`job-${MAX_RECENT_JOBS - 151}`)
  })

  it('reads a corrupt file as an empty cache and replaces it on the next write', async () => {
    await rememberJobs(configDir, [job('a1')])
    await writeFile(idCachePath(configDir), '{"version":1,"jobs":[{"job_id":"a1"')
    expect(await recentJobs(configDir)).to.deep.equal([])
    await rememberJobs(configDir, [job('b2')])
    expect((await recentJobs(configDir)).map((entry) => entry.job_id)).to.deep.equal(['b2'])
  })

  it('drops entries of the wrong shape and keeps the good ones', async () => {
    await rememberJobs(configDir, [job('a1')])
    const entries = [job('good'), {job_id: 42}, null, {job_id: 'has space', job_type: 't', status: 's'}, {job_id: 'x', job_type: 't'}]
    await writeFile(idCachePath(configDir), JSON.stringify({version: 1, jobs: entries}))
    expect((await recentJobs(configDir)).map((entry) => entry.job_id)).to.deep.equal(['good'])
    await writeFile(idCachePath(configDir), JSON.stringify({version: 1, jobs: 'nope'}))
    expect(await recentJobs(configDir)).to.deep.equal([])
  })

  it('leaves the file alone when the jobs seen are the ones it already holds, first', async () => {
    await rememberJobs(configDir, [job('a1'), job('b2')])
    const before = await stat(idCachePath(configDir))
    await rememberJobs(configDir, [job('a1'), job('b2')])
    expect((await stat(idCachePath(configDir))).ino, 'the atomic write replaces the file').to.equal(before.ino)
    await rememberJobs(configDir, [job('a1', 'completed'), job('b2')])
    expect((await stat(idCachePath(configDir))).ino).not.to.equal(before.ino)
    expect((await recentJobs(configDir))[0]).to.deep.equal(job('a1', 'completed'))
  })

  it('writes nothing for no jobs', async () => {
    await rememberJobs(configDir, [])
    await rememberJobs(configDir, [{job_id: '', job_type: 't', status: 's'}])
    expect(await recentJobs(configDir)).to.deep.equal([])
  })

  it('never fails the caller when the cache cannot be written', async () => {
    await writeFile(configDir, 'a file where the config directory should be')
    await rememberJobs(configDir, [job('a1')])
    expect(await recentJobs(configDir)).to.deep.equal([])
  })
})
