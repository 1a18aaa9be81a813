import {expect} from 'chai'
import nock from 'nock'

import type {TokenSet, TokenStore} from '../../src/auth/credentials.js'

import {AuthError, NetworkError} from '../../src/errors.js'
import {
  client,
  JOB_ID,
  JOB_PATH,
  loginAnswer,
  memoryStore,
  PASSWORD,
  rejection,
  SERVER,
  tokenExpiringIn,
  tokenSet,
  useNock,
} from '../helpers/fixtures/client-fixtures.js'
import {wireJob} from '../helpers/fixtures/job-fixtures.js'

/** A memory store whose `exclusive` lets another "process" store its renewal first. */
function sharedStore(initial: TokenSet, renewedByOther?: TokenSet) {
  const memory = memoryStore(initial)
  let locked = 0
  const store: TokenStore = {
    ...memory.store,
    async exclusive(renewal) {
      locked++
      if (renewedByOther) await memory.store.save(renewedByOther)
      return renewal()
    },
  }
  return {...memory, locked: () => locked, store}
}

describe('TokenRenewal (through a JobsClient, with nock)', () => {
  useNock()

  describe('authentication', () => {
    it('answers a 401 by refreshing once and repeating the request once with the new token', async () => {
      const old = tokenExpiringIn(600)
      const fresh = tokenExpiringIn(600, {jti: 'fresh'})
      const {saved, store} = memoryStore(tokenSet(old, 'rt-1'))
      nock(SERVER)
        .get(JOB_PATH)
        .matchHeader('authorization', `Bearer ${old}`)
        .reply(401, {detail: 'Token has been revoked'})
        .post('/api/auth/refresh', {refresh_token: 'rt-1'})
        .reply(200, {...loginAnswer(fresh, 'rt-2'), access_token_expires_in: 600})
        .get(JOB_PATH)
        .matchHeader('authorization', `Bearer ${fresh}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const job = await client({tokenStore: store}).getJob(JOB_ID)
      expect(job.job_id).to.equal(JOB_ID)
      // Rotation: the new pair replaces the spent one in the store.
      expect(saved).to.deep.equal([tokenSet(fresh, 'rt-2')])
    })

    it('a second 401 after the renewal is an authentication error (exit 3), with no third attempt', async () => {
      nock(SERVER)
        .get(JOB_PATH)
        .reply(401, {detail: 'Token has expired'})
        .post('/api/auth/refresh')
        .reply(200, loginAnswer(tokenExpiringIn(600), 'rt-2'))
        .get(JOB_PATH)
        .reply(401, {detail: 'User not found'})
      const error = await rejection(
        client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(600), 'rt-1')).store}).getJob(JOB_ID),
      )
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(3)
      expect(error.status).to.equal(401)
      expect(error.message).to.equal('User not found')
      expect(error.hint).to.match(/cidx login/)
    })

    const failedRefreshes = [
      {why: 'refused (a replay)', status: 401, body: {detail: 'Token replay attack detected'}},
      // A real server may answer 500 after it has spent the refresh token.
      {why: 'failed (a 500)', status: 500, body: {error: 'internal_server_error', message: 'An internal error.'}},
    ]
    for (const {body, status, why} of failedRefreshes) {
      it(`a ${why} refresh falls back to logging in with the password`, async () => {
        const fromLogin = tokenExpiringIn(600, {jti: 'login'})
        const {saved, store} = memoryStore(tokenSet(tokenExpiringIn(5), 'rt-spent'))
        nock(SERVER)
          .post('/api/auth/refresh', {refresh_token: 'rt-spent'})
          .reply(status, body)
          .post('/auth/login', {username: 'alice', password: PASSWORD})
          .reply(200, loginAnswer(fromLogin, 'rt-new'))
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fromLogin}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        await client({tokenStore: store, username: 'alice', password: PASSWORD}).getJob(JOB_ID)
        expect(saved).to.deep.equal([tokenSet(fromLogin, 'rt-new')])
      })
    }

    it('a refused refresh with no password to fall back on is an authentication error that says why', async () => {
      nock(SERVER).post('/api/auth/refresh').reply(401, {detail: 'Token replay attack detected'})
      const error = await rejection(
        client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-5), 'rt-spent')).store}).getJob(JOB_ID),
      )
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(3)
      expect(error.message).to.equal('Your session has expired: Token replay attack detected')
    })

    it('a refresh answered with a 422 envelope is refused like a 401', async () => {
      nock(SERVER)
        .post('/api/auth/refresh')
        .reply(422, {
          error: 'validation_error',
          message: 'Request validation failed.',
          detail: [{loc: ['body', 'refresh_token'], msg: 'Field required'}],
        })
      const error = await rejection(
        client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-5), 'rt')).store}).getJob(JOB_ID),
      )
      expect(error.message).to.equal('Your session has expired: Refresh refused: refresh_token: Field required')
    })

    describe('a refresh that fails for another reason, with no password to log in with', () => {
      const internalError = {error: 'internal_server_error', message: 'An internal server error occurred.'}

      it('keeps using the access token while it has not expired, and tries that refresh token only once', async () => {
        const dying = tokenExpiringIn(5)
        const {saved, store} = memoryStore(tokenSet(dying, 'rt-1'))
        nock(SERVER)
          .post('/api/auth/refresh')
          .once()
          .reply(500, internalError)
          .get(JOB_PATH)
          .times(2)
          .matchHeader('authorization', `Bearer ${dying}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        const jobs = client({tokenStore: store})
        expect((await jobs.getJob(JOB_ID)).job_id).to.equal(JOB_ID)
        expect((await jobs.getJob(JOB_ID)).job_id).to.equal(JOB_ID)
        expect(saved).to.deep.equal([])
      })

      it('without a live token either, is an authentication error (exit 3) that says what to do', async () => {
        nock(SERVER).post('/api/auth/refresh').reply(503, {error: 'service_unavailable', message: 'rt-secret-1 busy'})
        const error = await rejection(
          client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-5), 'rt-secret-1')).store}).getJob(JOB_ID),
        )
        expect(error).to.be.instanceOf(AuthError)
        expect(error.exitCode).to.equal(3)
        expect(error.message).to.match(/^Your session could not be renewed: /)
        expect(error.hint).to.match(/Run `cidx login` again/)
        expect(`${error.message} ${error.hint}`).not.to.include('rt-secret-1')
      })

      it('a server that cannot be reached is that network error (exit 5), not the end of the session', async () => {
        nock(SERVER)
          .post('/api/auth/refresh')
          .replyWithError(Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}))
        const error = await rejection(
          client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-5), 'rt-1')).store}).getJob(JOB_ID),
        )
        expect(error).to.be.instanceOf(NetworkError)
        expect(error.exitCode).to.equal(5)
      })

      it('an answer without an access token counts as a failed refresh too', async () => {
        nock(SERVER).post('/api/auth/refresh').reply(200, {token_type: 'bearer'})
        const error = await rejection(
          client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-5), 'rt')).store}).getJob(JOB_ID),
        )
        expect(error).to.be.instanceOf(AuthError)
        expect(error.message).to.match(/refresh answer has no access token/)
      })
    })

    describe('a store shared with other cidx processes (exclusive renewal)', () => {
      it('takes the tokens another process stored while it waited, and refreshes nothing', async () => {
        const other = tokenExpiringIn(600, {jti: 'other'})
        const shared = sharedStore(tokenSet(tokenExpiringIn(-60), 'rt-1'), tokenSet(other, 'rt-2'))
        nock(SERVER)
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${other}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        expect((await client({tokenStore: shared.store}).getJob(JOB_ID)).job_id).to.equal(JOB_ID)
        expect(shared.locked()).to.equal(1)
      })

      it('refreshes under the lock when nobody renewed, with the newest refresh token stored', async () => {
        const fresh = tokenExpiringIn(600)
        // Another process rotated the refresh token but left no usable access token.
        const shared = sharedStore(tokenSet(tokenExpiringIn(-60), 'rt-1'), tokenSet(tokenExpiringIn(-60), 'rt-rotated'))
        nock(SERVER)
          .post('/api/auth/refresh', {refresh_token: 'rt-rotated'})
          .reply(200, loginAnswer(fresh, 'rt-3'))
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        await client({tokenStore: shared.store}).getJob(JOB_ID)
        expect(shared.saved.at(-1)).to.deep.equal(tokenSet(fresh, 'rt-3'))
      })

      it('does not take back the token the server just rejected', async () => {
        const rejected = tokenExpiringIn(600)
        const fresh = tokenExpiringIn(600, {jti: 'fresh'})
        const shared = sharedStore(tokenSet(rejected, 'rt-1'))
        nock(SERVER)
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${rejected}`)
          .reply(401, {detail: 'Token has been revoked'})
          .post('/api/auth/refresh', {refresh_token: 'rt-1'})
          .reply(200, loginAnswer(fresh, 'rt-2'))
          .get(JOB_PATH)
          .matchHeader('authorization', `Bearer ${fresh}`)
          .reply(200, wireJob({job_id: JOB_ID}))
        await client({tokenStore: shared.store}).getJob(JOB_ID)
        expect(shared.locked()).to.equal(1)
      })
    })

    it('concurrent requests with an expired token trigger only one refresh', async () => {
      const fresh = tokenExpiringIn(600)
      nock(SERVER)
        .post('/api/auth/refresh')
        .once()
        .reply(200, loginAnswer(fresh, 'rt-2'))
        .get(JOB_PATH)
        .times(4)
        .matchHeader('authorization', `Bearer ${fresh}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const jobs = client({tokenStore: memoryStore(tokenSet(tokenExpiringIn(-60), 'rt-1')).store})
      const results = await Promise.all([1, 2, 3, 4].map(() => jobs.getJob(JOB_ID)))
      expect(results.map((job) => job.job_id)).to.deep.equal([JOB_ID, JOB_ID, JOB_ID, JOB_ID])
    })

    it('concurrent 401s on the same token trigger only one refresh, and each request is repeated once', async () => {
      const old = tokenExpiringIn(600)
      const fresh = tokenExpiringIn(600, {jti: 'fresh'})
      nock(SERVER)
        .get(JOB_PATH)
        .times(3)
        .matchHeader('authorization', `Bearer ${old}`)
        .delay(20)
        .reply(401, {detail: 'Token has been revoked'})
        .post('/api/auth/refresh')
        .once()
        .reply(200, loginAnswer(fresh, 'rt-2'))
        .get(JOB_PATH)
        .times(3)
        .matchHeader('authorization', `Bearer ${fresh}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const jobs = client({tokenStore: memoryStore(tokenSet(old, 'rt-1')).store})
      await Promise.all([1, 2, 3].map(() => jobs.getJob(JOB_ID)))
    })

    it('concurrent first requests wait for the cached session instead of renewing without it', async () => {
      const cached = tokenExpiringIn(600)
      nock(SERVER)
        .get(JOB_PATH)
        .times(3)
        .matchHeader('authorization', `Bearer ${cached}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const {saved, store} = memoryStore(tokenSet(cached, 'rt-1'), {loadDelayMs: 20})
      const jobs = client({tokenStore: store})
      await Promise.all([1, 2, 3].map(() => jobs.getJob(JOB_ID)))
      expect(saved).to.deep.equal([])
    })

    it('a static token (CIDX_TOKEN) is sent as is and never renewed', async () => {
      const apiKey = 'cidx_sk_0123456789abcdef0123456789abcdef'
      nock(SERVER)
        .get(JOB_PATH)
        .matchHeader('authorization', `Bearer ${apiKey}`)
        .reply(401, {detail: 'Invalid API key'})
      // A password is present too: it must not be used to replace the key the user chose.
      const error = await rejection(client({staticToken: apiKey, username: 'alice', password: PASSWORD}).getJob(JOB_ID))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(3)
      expect(error.message).to.equal('Invalid API key')
    })

    it('reuses a cached token that is valid for more than 30 s', async () => {
      const cached = tokenExpiringIn(45)
      nock(SERVER)
        .get(JOB_PATH)
        .times(2)
        .matchHeader('authorization', `Bearer ${cached}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const jobs = client({
        tokenStore: memoryStore(tokenSet(cached, 'rt-1')).store,
        username: 'alice',
        password: PASSWORD,
      })
      await jobs.getJob(JOB_ID)
      await jobs.getJob(JOB_ID)
    })

    it('renews a cached token before it is sent when it expires within 30 s', async () => {
      const dying = tokenExpiringIn(25)
      const fresh = tokenExpiringIn(600, {jti: 'fresh'})
      nock(SERVER)
        .post('/api/auth/refresh', {refresh_token: 'rt-1'})
        .reply(200, loginAnswer(fresh, 'rt-2'))
        .get(JOB_PATH)
        .matchHeader('authorization', `Bearer ${fresh}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      await client({tokenStore: memoryStore(tokenSet(dying, 'rt-1')).store}).getJob(JOB_ID)
    })

    it('logs in once with a password and reuses the token for later requests', async () => {
      const token = tokenExpiringIn(600)
      nock(SERVER)
        .post('/auth/login', {username: 'alice', password: PASSWORD})
        .once()
        .reply(200, loginAnswer(token))
        .get(JOB_PATH)
        .times(2)
        .matchHeader('authorization', `Bearer ${token}`)
        .reply(200, wireJob({job_id: JOB_ID}))
      const jobs = client({username: 'alice', password: PASSWORD})
      await jobs.getJob(JOB_ID)
      await jobs.getJob(JOB_ID)
    })

    it('a token store that fails to load or save does not stop the client', async () => {
      const token = tokenExpiringIn(600)
      const lines: string[] = []
      nock(SERVER)
        .post('/auth/login')
        .reply(200, loginAnswer(token))
        .get(JOB_PATH)
        .reply(200, wireJob({job_id: JOB_ID}))
      const broken: TokenStore = {
        load: () => Promise.reject(new Error('EACCES')),
        save: () => Promise.reject(new Error('disk full')),
      }
      await client(
        {tokenStore: broken, username: 'alice', password: PASSWORD},
        {debug: (line) => lines.push(line)},
      ).getJob(JOB_ID)
      expect(lines.some((line) => line.includes('could not cache the access token: disk full'))).to.equal(true)
    })
  })
})
