import {expect} from 'chai'
import {chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CliError} from '../../src/errors.js'
import {writePrivateFileAtomic} from '../../src/support/private-file.js'
import {rejection} from '../helpers/thrown.js'

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('private-file: writePrivateFileAtomic', () => {
  let base: string
  let configDir: string

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cidx-private-file-'))
    configDir = join(base, 'config', 'cidx')
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('leaves no temp files behind and replaces the content whole', async () => {
    const path = join(configDir, 'file.json')
    await writePrivateFileAtomic(path, 'first')
    await writePrivateFileAtomic(path, 'second')
    expect(await readFile(path, 'utf8')).to.equal('second')
    expect(await readdir(configDir)).to.deep.equal(['file.json'])
  })

  it('creates the file 0600 in directories made 0700, and tightens a directory that was open', async () => {
    await writePrivateFileAtomic(join(configDir, 'fresh'), 'x')
    expect([
      await mode(join(configDir, 'fresh')),
      await mode(configDir),
      await mode(join(base, 'config')),
    ]).to.deep.equal([0o600, 0o700, 0o700])
    const open = join(base, 'open')
    await mkdir(open, {mode: 0o777})
    await chmod(open, 0o777)
    await writeFile(join(open, 'loose'), 'old', {mode: 0o666})
    await writePrivateFileAtomic(join(open, 'loose'), 'new')
    expect([await mode(open), await mode(join(open, 'loose'))]).to.deep.equal([0o700, 0o600])
  })

  it('fails with one line naming the path (exit 1), never the content, when the directory cannot be made', async () => {
    await mkdir(join(base, 'config'))
    await writeFile(configDir, 'a file where the directory should be')
    const path = join(configDir, 'secret.json')
    const error = (await rejection(writePrivateFileAtomic(path, 'the-secret'))) as CliError
    expect(error).to.be.instanceOf(CliError)
    expect(error.exitCode).to.equal(1)
    expect(error.message).to.equal(`Cannot write ${path} (EEXIST)`)
    expect(JSON.stringify(error.toJSON())).not.to.include('the-secret')
  })

  it('removes its temp file when the rename fails', async () => {
    const path = join(configDir, 'taken')
    await mkdir(join(path, 'occupied'), {recursive: true})
    expect(await rejection(writePrivateFileAtomic(path, 'x'))).to.be.instanceOf(CliError)
    expect(await readdir(configDir)).to.deep.equal(['taken'])
  })
})
