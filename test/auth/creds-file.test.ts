import {expect} from 'chai'
import {createCipheriv, pbkdf2Sync, randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, realpath, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {readProjectCredentials} from '../../src/auth/creds-file.js'
import {findProject} from '../../src/auth/project-config.js'
import {AuthError} from '../../src/errors.js'
import {encryptCreds, makeProject} from '../helpers/fixtures/cidx-project.js'
import {rejection} from '../helpers/thrown.js'

/** The credentials of the project at `root`, found as the credential chain finds it. */
const credentialsOf = async (root: string) => readProjectCredentials((await findProject(root))!)

describe('creds-file: readProjectCredentials', () => {
  let base: string

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-creds-')))
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  it('decrypts a project reached through a symlink, keyed by its real path', async () => {
    const real = join(base, 'real-project')
    await mkdir(real)
    await makeProject(real, {serverUrl: 'http://p.test', password: 'via-link'})
    const link = join(base, 'linked')
    await symlink(real, link)
    const project = await findProject(link)
    expect(project?.root).to.equal(link)
    expect(await readProjectCredentials(project!)).to.deep.equal({username: 'pat', password: 'via-link'})
  })

  it('refuses a .creds encrypted for another user name', async () => {
    const creds = encryptCreds({username: 'mallory', password: 'x', serverUrl: 'http://project.test', root: base})
    await makeProject(base, {serverUrl: 'http://project.test', username: 'pat', creds})
    expect(await rejection(credentialsOf(base))).to.be.instanceOf(AuthError)
  })

  for (const [name, bytes] of [
    ['truncated', randomBytes(40)],
    ['not a whole cipher block', randomBytes(32 + 16 + 20)],
    ['random bytes', randomBytes(32 + 16 + 64)],
  ] as const) {
    it(`refuses a corrupt .creds (${name})`, async () => {
      await makeProject(base, {serverUrl: 'http://project.test', creds: bytes})
      const error = await rejection(credentialsOf(base))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('Cannot decrypt')
    })
  }

  it('refuses a .creds that decrypts to JSON without a password', async () => {
    const salt = randomBytes(32)
    const iv = randomBytes(16)
    const key = pbkdf2Sync(`pat:${base}:http://project.test`, salt, 100_000, 32, 'sha256')
    const cipher = createCipheriv('aes-256-cbc', key, iv)
    const blob = Buffer.concat([salt, iv, cipher.update('{"username":"pat"}'), cipher.final()])
    await makeProject(base, {serverUrl: 'http://project.test', creds: blob})
    expect(await rejection(credentialsOf(base))).to.be.instanceOf(AuthError)
  })

  it('reports a .creds it cannot read', async () => {
    await makeProject(base, {serverUrl: 'http://project.test', creds: 'none'})
    await mkdir(join(base, '.code-indexer', '.creds'))
    const error = await rejection(credentialsOf(base))
    expect(error).to.be.instanceOf(AuthError)
    expect(error.message).to.match(/Cannot read .*\.creds \(EISDIR\)/)
  })
})
