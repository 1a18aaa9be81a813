import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {writeFile} from 'node:fs/promises'

import {idCachePath, rememberJobs} from '../../src/completion/id-cache.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'

const ROOT = new URL('../..', import.meta.url).pathname

describe('commands: jobs recent-ids (hidden, for shell completion)', () => {
  let sandbox: Sandbox

  beforeEach(async () => {
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter()
    await rememberJobs(sandbox.configDir, [
      {job_id: 'job-running', job_type: 'sync_repository', status: 'running'},
      {job_id: 'job-done', job_type: 'sync_repository', status: 'completed'},
      {job_id: 'job-waiting', job_type: 'index_repository', status: 'queued'},
    ])
  })

  afterEach(async () => {
    await sandbox.remove()
  })

  it('prints the cached IDs, one per line, most recently seen first', async () => {
    const {stdout, error} = await runCommand(['jobs', 'recent-ids'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stdout).to.equal('job-running\njob-done\njob-waiting\n')
  })

  it('prints only jobs that were not finished with --cancellable, and the entries with --json', async () => {
    const {stdout} = await runCommand(['jobs', 'recent-ids', '--cancellable', '--json'], {root: ROOT})
    expect(JSON.parse(stdout)).to.deep.equal([
      {job_id: 'job-running', job_type: 'sync_repository', status: 'running'},
      {job_id: 'job-waiting', job_type: 'index_repository', status: 'queued'},
    ])
  })

  it('prints only the safe IDs of a cache file written by hand, with --cancellable too', async () => {
    const entries = [
      {job_id: `$(touch\${IFS}pwned)`, job_type: 'sync_repository', status: 'running'},
      {job_id: 'job-ok', job_type: 'sync_repository', status: 'running'},
      {job_id: '`id`', job_type: 'sync_repository', status: 'queued'},
      {job_id: 'job-odd-status', job_type: 'sync_repository', status: 'running;id'},
      {job_id: 'a\nb', job_type: 'sync_repository', status: 'running'},
    ]
    await writeFile(idCachePath(sandbox.configDir), JSON.stringify({version: 1, jobs: entries}))
    expect((await runCommand(['jobs', 'recent-ids'], {root: ROOT})).stdout).to.equal('job-ok\n')
    expect((await runCommand(['jobs', 'recent-ids', '--cancellable'], {root: ROOT})).stdout).to.equal('job-ok\n')
  })

  it('prints nothing, successfully, when nothing was cached (a TAB offers nothing)', async () => {
    await sandbox.remove()
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter()
    const {stdout, stderr, error} = await runCommand(['jobs', 'recent-ids'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stdout + stderr).to.equal('')
  })
})
