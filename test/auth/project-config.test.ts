import {expect} from 'chai'
import {mkdir, mkdtemp, realpath, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {findProject} from '../../src/auth/project-config.js'
import {NotConfiguredError} from '../../src/errors.js'
import {makeProject} from '../helpers/fixtures/cidx-project.js'
import {rejection} from '../helpers/thrown.js'

describe('project-config: findProject', () => {
  let base: string

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-project-')))
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('finds the nearest .remote-config from a nested folder and keeps its values as written', async () => {
    await makeProject(base, {serverUrl: 'https://CIDX.example.com/', creds: 'none'})
    const nested = join(base, 'src', 'deep')
    await mkdir(nested, {recursive: true})
    expect(await findProject(nested)).to.deep.equal({
      root: base,
      serverUrl: 'https://CIDX.example.com/',
      username: 'pat',
    })
  })

  it('reports a .remote-config that is not JSON or lacks its fields', async () => {
    await mkdir(join(base, '.code-indexer'))
    const configPath = join(base, '.code-indexer', '.remote-config')
    await writeFile(configPath, '{not json')
    const notJson = await rejection(findProject(base))
    expect(notJson).to.be.instanceOf(NotConfiguredError)
    expect(notJson.message).to.equal(`${configPath} is not valid JSON`)
    await writeFile(configPath, JSON.stringify({server_url: 'http://x'}))
    const noUser = await rejection(findProject(base))
    expect(noUser.message).to.include('has no "server_url" or no "username"')
    await writeFile(configPath, 'null')
    expect(await rejection(findProject(base))).to.be.instanceOf(NotConfiguredError)
  })
})
