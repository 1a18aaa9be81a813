import {expect} from 'chai'
import {chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  cachedTokenStore,
  clearSession,
  readSession,
  type Session,
  sessionLockPath,
  sessionPath,
  sessionTokenStore,
  tokenCachePath,
  writeSession,
} from '../../src/auth/session-store.js'
import {CliError} from '../../src/errors.js'

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

/** The file's text, or null while a writer has not yet put it in place. */
const contentOrNull = async (path: string): Promise<null | string> => readFile(path, 'utf8').catch(() => null)

describe('session-store', () => {
  let base: string
  let configDir: string

  const session: Session = {
    server: 'http://cidx.test',
    username: 'alice',
    role: 'normal_user',
    accessToken: 'access-1',
    accessTokenExpiresAt: 1_800_000_000_000,
    refreshToken: 'refresh-1',
  }

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'cidx-session-'))
    configDir = join(base, 'config', 'cidx')
  })

  afterEach(async () => {
    await rm(base, {recursive: true, force: true})
  })

  describe('session file', () => {
    it('writes session.json with mode 0600 in directories created 0700, and reads it back', async () => {
      await writeSession(configDir, session)
      expect(await mode(sessionPath(configDir))).to.equal(0o600)
      expect(await mode(configDir)).to.equal(0o700)
      expect(await readSession(configDir)).to.deep.equal(session)
    })

    it('tightens an existing config dir to 0700 and a loose file to 0600 on rewrite', async () => {
      await mkdir(configDir, {recursive: true, mode: 0o755})
      await chmod(configDir, 0o755)
      await writeFile(sessionPath(configDir), '{}', {mode: 0o644})
      await writeSession(configDir, session)
      expect(await mode(configDir)).to.equal(0o700)
      expect(await mode(sessionPath(configDir))).to.equal(0o600)
    })

    it('returns null when there is no session', async () => {
      expect(await readSession(configDir)).to.equal(null)
    })

    for (const [name, content] of [
      ['not JSON', '{"server": "http://x", '],
      ['an array', '[]'],
      ['missing fields', '{"server": "http://x"}'],
      ['wrong types', JSON.stringify({...session, accessTokenExpiresAt: 'soon'})],
      ['an empty server', JSON.stringify({...session, server: ''})],
      ['a non-string token', JSON.stringify({...session, refreshToken: 42})],
    ]) {
      it(`treats a corrupt file (${name}) as absent and overwrites it`, async () => {
        await mkdir(configDir, {recursive: true})
        await writeFile(sessionPath(configDir), content)
        expect(await readSession(configDir)).to.equal(null)
        await writeSession(configDir, session)
        expect(await readSession(configDir)).to.deep.equal(session)
      })
    }

    it('treats an unreadable path (a directory) as absent', async () => {
      await mkdir(sessionPath(configDir), {recursive: true})
      expect(await readSession(configDir)).to.equal(null)
    })
  })

  describe('atomic writes', () => {
    it('keeps the file whole under concurrent writers: it always parses as one of them', async () => {
      const writers = Array.from({length: 25}, (_, index) =>
        writeSession(configDir, {...session, accessToken: `token-${index}`}),
      )
      const readers = Array.from({length: 25}, () => contentOrNull(sessionPath(configDir)))
      await Promise.all([...writers, ...readers])
      for (const content of await Promise.all(readers)) {
        if (content !== null) expect(JSON.parse(content).accessToken).to.match(/^token-\d+$/)
      }

      expect((await readSession(configDir))?.accessToken).to.match(/^token-\d+$/)
      expect(await readdir(configDir)).to.deep.equal(['session.json'])
    })

    it('fails with a clear error when the config dir cannot be created, and leaves nothing behind', async () => {
      await mkdir(join(base, 'config'), {recursive: true})
      await writeFile(configDir, 'a file where the directory should be')
      let error: CliError | undefined
      try {
        await writeSession(configDir, session)
      } catch (error_) {
        error = error_ as CliError
      }

      expect(error).to.be.instanceOf(CliError)
      expect(error!.exitCode).to.equal(1)
      expect(error!.message).to.equal(`Cannot write ${sessionPath(configDir)} (EEXIST)`)
      expect(JSON.stringify(error!.toJSON())).not.to.include('access-1')
    })

    it('removes its temp file when the rename fails', async () => {
      await mkdir(sessionPath(configDir), {recursive: true})
      await writeFile(join(sessionPath(configDir), 'occupied'), 'x')
      let error: unknown
      try {
        await writeSession(configDir, session)
      } catch (error_) {
        error = error_
      }

      expect(error).to.be.instanceOf(CliError)
      expect((await readdir(configDir)).filter((name) => name.endsWith('.tmp'))).to.deep.equal([])
    })
  })

  describe('clearSession (logout)', () => {
    it('forgets the session and the cached tokens of its server only; idempotent', async () => {
      await writeSession(configDir, session)
      await cachedTokenStore(configDir, session.server, 'ci-bot').save({accessToken: 'a', accessTokenExpiresAt: null})
      await cachedTokenStore(configDir, 'http://other.test', 'ci-bot').save({
        accessToken: 'b',
        accessTokenExpiresAt: null,
      })

      expect(await clearSession(configDir)).to.deep.equal({
        server: session.server,
        sessionRemoved: true,
        cachedTokensRemoved: 1,
      })
      expect(await readSession(configDir)).to.equal(null)
      expect(await cachedTokenStore(configDir, session.server, 'ci-bot').load()).to.equal(null)
      expect(await cachedTokenStore(configDir, 'http://other.test', 'ci-bot').load()).to.deep.equal({
        accessToken: 'b',
        accessTokenExpiresAt: null,
      })

      expect(await clearSession(configDir)).to.deep.equal({server: null, sessionRemoved: false, cachedTokensRemoved: 0})
    })

    it('with a server, keeps a session made for another server', async () => {
      await writeSession(configDir, session)
      await cachedTokenStore(configDir, 'http://other.test', 'u').save({accessToken: 'b', accessTokenExpiresAt: null})
      const result = await clearSession(configDir, 'http://other.test')
      expect(result).to.deep.equal({server: 'http://other.test', sessionRemoved: false, cachedTokensRemoved: 1})
      expect(await readSession(configDir)).to.deep.equal(session)
    })

    it('with a server, removes the session made for it', async () => {
      await writeSession(configDir, session)
      expect((await clearSession(configDir, session.server)).sessionRemoved).to.equal(true)
    })

    it('skips corrupt and foreign files in the token cache', async () => {
      await writeSession(configDir, session)
      const tokensDir = join(configDir, 'tokens')
      await mkdir(tokensDir, {recursive: true})
      await writeFile(join(tokensDir, 'garbage.json'), 'nope')
      await writeFile(join(tokensDir, 'notes.txt'), 'keep')
      expect((await clearSession(configDir)).cachedTokensRemoved).to.equal(0)
      expect((await readdir(tokensDir)).sort()).to.deep.equal(['garbage.json', 'notes.txt'])
    })
  })

  describe('sessionTokenStore', () => {
    it('loads the session tokens and saves renewed ones, keeping the rest of the session', async () => {
      await writeSession(configDir, session)
      const store = sessionTokenStore(configDir, session.server, session.username)
      expect(await store.load()).to.deep.equal({
        accessToken: 'access-1',
        accessTokenExpiresAt: 1_800_000_000_000,
        refreshToken: 'refresh-1',
      })
      await store.save({accessToken: 'access-2', accessTokenExpiresAt: 1_900_000_000_000, refreshToken: 'refresh-2'})
      expect(await readSession(configDir)).to.deep.equal({
        ...session,
        accessToken: 'access-2',
        accessTokenExpiresAt: 1_900_000_000_000,
        refreshToken: 'refresh-2',
      })
      expect(await mode(sessionPath(configDir))).to.equal(0o600)
    })

    it('forgets the tokens on save(null) but keeps who was logged in', async () => {
      await writeSession(configDir, session)
      const store = sessionTokenStore(configDir, session.server, session.username)
      await store.save(null)
      expect(await readSession(configDir)).to.deep.equal({
        ...session,
        accessToken: null,
        accessTokenExpiresAt: null,
        refreshToken: null,
      })
      expect(await store.load()).to.equal(null)
    })

    it('saves a token without refresh token as null', async () => {
      await writeSession(configDir, session)
      const store = sessionTokenStore(configDir, session.server, session.username)
      await store.save({accessToken: 'x', accessTokenExpiresAt: null})
      expect(await store.load()).to.deep.equal({accessToken: 'x', accessTokenExpiresAt: null})
    })

    it('renews under session.lock in the config directory (another process renewing waits), and removes it after', async () => {
      await writeSession(configDir, session)
      const store = sessionTokenStore(configDir, session.server, session.username)
      const held = await store.exclusive!(async () => readFile(sessionLockPath(configDir), 'utf8'))
      expect(held).to.equal(`${process.pid}\n`)
      expect(await readdir(configDir)).to.deep.equal(['session.json'])
    })

    it('never recreates a session removed meanwhile, nor writes into another user or server session', async () => {
      const store = sessionTokenStore(configDir, session.server, session.username)
      await store.save({accessToken: 'late', accessTokenExpiresAt: null})
      expect(await readSession(configDir)).to.equal(null)

      await writeSession(configDir, {...session, username: 'bob'})
      await store.save({accessToken: 'late', accessTokenExpiresAt: null})
      expect((await readSession(configDir))?.accessToken).to.equal('access-1')
      expect(await store.load()).to.equal(null)
    })
  })

  describe('cachedTokenStore', () => {
    it(String.raw`keeps tokens in tokens/<sha256(server\nusername)>.json, 0600, in a 0700 directory`, async () => {
      const store = cachedTokenStore(configDir, 'http://cidx.test', 'ci')
      await store.save({accessToken: 'a1', accessTokenExpiresAt: 123, refreshToken: 'r1'})
      const path = tokenCachePath(configDir, 'http://cidx.test', 'ci')
      expect(path).to.match(/tokens\/[\da-f]{64}\.json$/)
      expect(await mode(path)).to.equal(0o600)
      expect(await mode(join(configDir, 'tokens'))).to.equal(0o700)
      expect(await store.load()).to.deep.equal({accessToken: 'a1', accessTokenExpiresAt: 123, refreshToken: 'r1'})
      expect(tokenCachePath(configDir, 'http://cidx.test', 'other')).not.to.equal(path)
    })

    it('forgets the tokens on save(null)', async () => {
      const store = cachedTokenStore(configDir, 'http://cidx.test', 'ci')
      await store.save({accessToken: 'a1', accessTokenExpiresAt: null})
      await store.save(null)
      expect(await store.load()).to.equal(null)
      await store.save(null)
    })

    it('treats a corrupt or mismatching cache file as absent', async () => {
      const path = tokenCachePath(configDir, 'http://cidx.test', 'ci')
      await mkdir(join(configDir, 'tokens'), {recursive: true})
      const store = cachedTokenStore(configDir, 'http://cidx.test', 'ci')
      await writeFile(path, '{"accessToken": 1}')
      expect(await store.load()).to.equal(null)
      await writeFile(
        path,
        JSON.stringify({
          server: 'http://evil.test',
          username: 'ci',
          accessToken: 'x',
          accessTokenExpiresAt: null,
          refreshToken: null,
        }),
      )
      expect(await store.load()).to.equal(null)
      await store.save({accessToken: 'fresh', accessTokenExpiresAt: null})
      expect((await store.load())?.accessToken).to.equal('fresh')
    })

    it('ignores a write that fails: it is only a cache', async () => {
      await mkdir(join(base, 'config'), {recursive: true})
      await writeFile(configDir, 'not a directory')
      const store = cachedTokenStore(configDir, 'http://cidx.test', 'ci')
      await store.save({accessToken: 'a', accessTokenExpiresAt: null})
      expect(await store.load()).to.equal(null)
    })
  })
})
