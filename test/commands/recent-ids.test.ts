import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {writeFile} from 'node:fs/promises'

import {idCachePath, rememberJobs} from '../../src/completion/id-cache.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'

const ROOT = new URL('../..', import.meta.url).pathname
/** The server and user of the completing shell, as the environment names them. */
const ALICE_ENV = {CIDX_SERVER_URL: 'http://127.0.0.1:8090', CIDX_USERNAME: 'alice', CIDX_PASSWORD: 'not-used'}
const ALICE = {server: 'http://127.0.0.1:8090', user: 'alice'}

describe('commands: jobs recent-ids (hidden, for shell completion)', () => {
  let sandbox: Sandbox

  beforeEach(async () => {
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter(ALICE_ENV)
    await rememberJobs(sandbox.configDir, ALICE, [
      {job_id: 'job-running', job_type: 'sync_repository', status: 'running', repository: 'backend'},
      {job_id: 'job-done', job_type: 'sync_repository', status: 'completed'},
      {job_id: 'job-waiting', job_type: 'index_repository', status: 'queued'},
    ])
  })

  afterEach(async () => {
    await sandbox.remove()
  })

  it('prints the cached IDs of the current server and user, one per line, most recently seen first', async () => {
    await rememberJobs(sandbox.configDir, {...ALICE, user: 'bob'}, [
      {job_id: 'bobs-job', job_type: 'sync_repository', status: 'running'},
    ])
    const {stdout, error} = await runCommand(['jobs', 'recent-ids'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stdout).to.equal('job-running\njob-done\njob-waiting\n')
  })

  it('prints only jobs that were not finished with --cancellable, and the entries with --json', async () => {
    const {stdout} = await runCommand(['jobs', 'recent-ids', '--cancellable', '--json'], {root: ROOT})
    expect(JSON.parse(stdout)).to.deep.equal([
      {job_id: 'job-running', job_type: 'sync_repository', status: 'running', repository: 'backend'},
      {job_id: 'job-waiting', job_type: 'index_repository', status: 'queued'},
    ])
  })

  it('leaves out the IDs already on the command line, and describes each ID for zsh with --describe', async () => {
    const {stdout} = await runCommand(['jobs', 'recent-ids', '--describe', '--', 'jobs', 'status', 'job-done'], {
      root: ROOT,
    })
    expect(stdout).to.equal('job-running:sync_repository, running, backend\njob-waiting:index_repository, queued\n')
  })

  it('prints the job types seen, each once, most recently seen first, with --types (for --type)', async () => {
    const {stdout} = await runCommand(['jobs', 'recent-ids', '--types'], {root: ROOT})
    expect(stdout).to.equal('sync_repository\nindex_repository\n')
  })

  it('prints only the safe IDs of a cache file written by hand, with --cancellable too', async () => {
    const entries = [
      {job_id: `$(touch\${IFS}pwned)`, job_type: 'sync_repository', status: 'running'},
      {job_id: 'job-ok', job_type: 'sync_repository', status: 'running', repository: '`id`'},
      {job_id: '`id`', job_type: 'sync_repository', status: 'queued'},
      {job_id: 'job-odd-status', job_type: 'sync_repository', status: 'running;id'},
      {job_id: 'a\nb', job_type: 'sync_repository', status: 'running'},
    ]
    await writeFile(idCachePath(sandbox.configDir, ALICE), JSON.stringify({version: 2, ...ALICE, jobs: entries}))
    expect((await runCommand(['jobs', 'recent-ids'], {root: ROOT})).stdout).to.equal('job-ok\n')
    expect((await runCommand(['jobs', 'recent-ids', '--cancellable'], {root: ROOT})).stdout).to.equal('job-ok\n')
    expect((await runCommand(['jobs', 'recent-ids', '--describe'], {root: ROOT})).stdout).to.equal(
      'job-ok:sync_repository, running\n',
    )
  })

  it('prints nothing, successfully, when nothing was cached or no server is configured (a TAB offers nothing)', async () => {
    await sandbox.remove()
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter(ALICE_ENV)
    const empty = await runCommand(['jobs', 'recent-ids'], {root: ROOT})
    expect(empty.error).to.equal(undefined)
    expect(empty.stdout + empty.stderr).to.equal('')
    sandbox.enter({CIDX_SERVER_URL: ''})
    const unconfigured = await runCommand(['jobs', 'recent-ids'], {root: ROOT})
    expect(unconfigured.error).to.equal(undefined)
    expect(unconfigured.stdout + unconfigured.stderr).to.equal('')
  })
})
