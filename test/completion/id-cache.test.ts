import {expect} from 'chai'
import {mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {
  idCacheKey,
  idCachePath,
  MAX_CACHED_WORD_LENGTH,
  MAX_RECENT_JOBS,
  recentJobs,
  rememberJobs,
} from '../../src/completion/id-cache.js'

const KEY = {server: 'https://cidx.example.com', user: 'alice'}
/** What a cache file of KEY starts with. */
const FILE_HEAD = {version: 2, server: KEY.server, user: KEY.user}

/** An unsigned JWT with these claims: the cache reads the user name of a CIDX_TOKEN from it. */
function jwtOf(claims: Record<string, unknown>): string {
  return `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
}

function job(id: string, status = 'running', type = 'sync_repository') {
  return {job_id: id, job_type: type, status}
}

/** IDs as real servers make them, and the longest the cache keeps. */
const GOOD_IDS = [
  '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
  'bbbf86ac03d04df481ef48b1ce20ed8f',
  'data-retention-1a2b3c4d',
  'v1.2_rc-3',
  'x'.repeat(MAX_CACHED_WORD_LENGTH),
]

/** Words a shell would run, expand or split, or a user would misread, if completion offered them. */
const HOSTILE_WORDS = [
  `$(touch\${IFS}/tmp/pwned)`,
  `\`touch\${IFS}/tmp/pwned\``,
  `\${HOME}`,
  `;touch\${IFS}x`,
  'a|b',
  'a&b',
  '*',
  'job?',
  "it's",
  'say"hi"',
  String.raw`a\b`,
  'a\nb',
  'a\rb',
  'a\tb',
  'a b',
  'nul\u0000',
  'x'.repeat(MAX_CACHED_WORD_LENGTH + 1),
  'd\u0430ta-retention-1a2b3c4d', // a Cyrillic "а"
  '\uFF13f0c9a52', // a fullwidth "3"
  'caf\u00E9',
  '',
  '-rf',
  '--yes',
  '.',
  '..',
  '../etc',
  'a/b',
]

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
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
  })

  it('keeps the jobs of the latest call first, in their order, with type and status', async () => {
    await rememberJobs(configDir, KEY, [job('a1'), job('b2', 'queued')])
    await rememberJobs(configDir, KEY, [job('c3', 'failed', 'index_repository'), job('a1', 'completed')])
    expect(await recentJobs(configDir, KEY)).to.deep.equal([
      {job_id: 'c3', job_type: 'index_repository', status: 'failed'},
      {job_id: 'a1', job_type: 'sync_repository', status: 'completed'},
      {job_id: 'b2', job_type: 'sync_repository', status: 'queued'},
    ])
  })

  it('stores only the fields completion needs, in a private file in a private directory', async () => {
    await rememberJobs(configDir, KEY, [
      {...job('a1'), description: 'Sync repository backend'} as ReturnType<typeof job>,
    ])
    const file = idCachePath(configDir, KEY)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect((await stat(configDir)).mode & 0o777).to.equal(0o700)
    expect(await readFile(file, 'utf8')).not.to.include('Sync repository backend')
  })

  it(`keeps the newest ${MAX_RECENT_JOBS} jobs`, async () => {
    const many = Array.from({length: MAX_RECENT_JOBS + 50}, (_, index) => job(`job-${index}`))
    await rememberJobs(configDir, KEY, many.slice(0, 100))
    await rememberJobs(configDir, KEY, many.slice(100))
    const cached = await recentJobs(configDir, KEY)
    expect(cached).to.have.length(MAX_RECENT_JOBS)
    expect(cached[0].job_id).to.equal('job-100')
    expect(cached.at(-1)?.job_id).to.equal(`job-${MAX_RECENT_JOBS - 151}`)
  })

  it('reads a corrupt file as an empty cache and replaces it on the next write', async () => {
    await rememberJobs(configDir, KEY, [job('a1')])
    await writeFile(idCachePath(configDir, KEY), '{"version":2,"jobs":[{"job_id":"a1"')
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
    await rememberJobs(configDir, KEY, [job('b2')])
    expect((await recentJobs(configDir, KEY)).map((entry) => entry.job_id)).to.deep.equal(['b2'])
  })

  it('drops entries of the wrong shape and keeps the good ones', async () => {
    await rememberJobs(configDir, KEY, [job('a1')])
    const entries = [
      job('good'),
      {job_id: 42},
      null,
      {job_id: 'has space', job_type: 't', status: 's'},
      {job_id: 'x', job_type: 't'},
    ]
    await writeFile(idCachePath(configDir, KEY), JSON.stringify({...FILE_HEAD, jobs: entries}))
    expect((await recentJobs(configDir, KEY)).map((entry) => entry.job_id)).to.deep.equal(['good'])
    await writeFile(idCachePath(configDir, KEY), JSON.stringify({...FILE_HEAD, jobs: 'nope'}))
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
  })

  it('keeps only IDs, types and statuses of safe characters and length when writing', async () => {
    const good = GOOD_IDS.map((id) => job(id))
    const hostile = HOSTILE_WORDS.flatMap((word) => [
      job(word),
      job('bad-type', 'running', word),
      job('bad-status', word),
    ])
    await rememberJobs(configDir, KEY, [...hostile.slice(0, 10), ...good, ...hostile.slice(10)])
    expect(await recentJobs(configDir, KEY)).to.deep.equal(good)
    const stored = JSON.parse(await readFile(idCachePath(configDir, KEY), 'utf8')) as {jobs: unknown[]}
    expect(stored.jobs).to.deep.equal(good)
  })

  it('gives back only safe entries of a file written by hand or by an older version', async () => {
    const good = GOOD_IDS.map((id) => job(id, 'queued', 'data_retention_cleanup'))
    const hostile = HOSTILE_WORDS.flatMap((word) => [
      job(word),
      job('bad-type', 'running', word),
      job('bad-status', word),
    ])
    await mkdir(dirname(idCachePath(configDir, KEY)), {recursive: true})
    await writeFile(idCachePath(configDir, KEY), JSON.stringify({...FILE_HEAD, jobs: [...hostile, ...good]}))
    expect(await recentJobs(configDir, KEY)).to.deep.equal(good)
    // The next write keeps the good entries and drops the hostile ones from the file too.
    await rememberJobs(configDir, KEY, [job('a1')])
    expect(await readFile(idCachePath(configDir, KEY), 'utf8')).to.equal(
      `${JSON.stringify({...FILE_HEAD, jobs: [job('a1'), ...good]})}\n`,
    )
  })

  it('leaves the file alone when the jobs seen are the ones it already holds, first', async () => {
    await rememberJobs(configDir, KEY, [job('a1'), job('b2')])
    const before = await stat(idCachePath(configDir, KEY))
    await rememberJobs(configDir, KEY, [job('a1'), job('b2')])
    expect((await stat(idCachePath(configDir, KEY))).ino, 'the atomic write replaces the file').to.equal(before.ino)
    await rememberJobs(configDir, KEY, [job('a1', 'completed'), job('b2')])
    expect((await stat(idCachePath(configDir, KEY))).ino).not.to.equal(before.ino)
    expect((await recentJobs(configDir, KEY))[0]).to.deep.equal(job('a1', 'completed'))
  })

  it('writes nothing for no jobs', async () => {
    await rememberJobs(configDir, KEY, [])
    await rememberJobs(configDir, KEY, [{job_id: '', job_type: 't', status: 's'}])
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
  })

  it('never fails the caller when the cache cannot be written', async () => {
    await writeFile(configDir, 'a file where the config directory should be')
    await rememberJobs(configDir, KEY, [job('a1')])
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
  })

  it('keeps one cache per server and user: the IDs of one are never offered for another', async () => {
    const bob = {...KEY, user: 'bob'}
    const other = {...KEY, server: 'https://other.example.com'}
    await rememberJobs(configDir, KEY, [job('alice-job')])
    await rememberJobs(configDir, bob, [job('bob-job')])
    await rememberJobs(configDir, other, [job('other-job')])
    expect((await recentJobs(configDir, KEY)).map((entry) => entry.job_id)).to.deep.equal(['alice-job'])
    expect((await recentJobs(configDir, bob)).map((entry) => entry.job_id)).to.deep.equal(['bob-job'])
    expect((await recentJobs(configDir, other)).map((entry) => entry.job_id)).to.deep.equal(['other-job'])
    // A file that names another server or user (copied, or a collision of the hash) gives nothing.
    await writeFile(idCachePath(configDir, KEY), JSON.stringify({...FILE_HEAD, user: 'bob', jobs: [job('x1')]}))
    expect(await recentJobs(configDir, KEY)).to.deep.equal([])
  })

  it('keys by the normalized server URL and the user name, never by a secret', async () => {
    const password = 'pa55-w0rd-secret'
    const byPassword = idCacheKey({serverUrl: 'HTTPS://CIDX.example.com:443/', username: 'alice', password} as never)
    expect(byPassword).to.deep.equal(KEY)
    const token = jwtOf({username: 'alice', role: 'user'})
    expect(idCacheKey({serverUrl: 'https://cidx.example.com', staticToken: token})).to.deep.equal(KEY)
    expect(idCacheKey({serverUrl: 'https://cidx.example.com', staticToken: 'cidx_sk_opaque'})).to.deep.equal({
      ...KEY,
      user: '',
    })
    await rememberJobs(configDir, byPassword, [job('a1')])
    const text = await readFile(idCachePath(configDir, byPassword), 'utf8')
    expect(text).not.to.include(password)
    expect(idCachePath(configDir, byPassword)).not.to.include('alice')
  })

  it('keeps the repository when it is a safe word, and the entry without it when not', async () => {
    await rememberJobs(configDir, KEY, [
      {...job('a1'), repository: 'backend'},
      {...job('b2'), repository: '$(id)'},
      {...job('c3'), repository: null},
    ])
    expect(await recentJobs(configDir, KEY)).to.deep.equal([
      {...job('a1'), repository: 'backend'},
      job('b2'),
      job('c3'),
    ])
  })
})
