import {expect} from 'chai'

import {cachedTokenStore, readSession, writeSession} from '../../src/auth/session-store.js'
import {useCliSession} from '../helpers/cli-session.js'
import {wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {runCli} from '../helpers/servers/watch-harness.js'

const PASSWORD = 'alice-secret-pw'

/** A token pair as the CLI keeps it, issued by the fake: the access token expires in `seconds`. */
function tokensOf(fake: FakeCidx, seconds: number) {
  const {accessToken, refreshToken} = fake.mint('alice', seconds)
  return {accessToken, accessTokenExpiresAt: Date.now() + seconds * 1000, refreshToken}
}

describe('commands: a refresh the server fails after spending the refresh token', () => {
  let fake: FakeCidx
  // Before the session's hooks: the session's environment names the fake's URL.
  beforeEach(async () => {
    fake = await startFakeCidx({
      paging: 'defect',
      jobs: [wireJob({status: 'completed'})],
      refreshFails: true,
      users: {alice: PASSWORD},
    })
  })

  afterEach(async () => {
    await fake.close()
  })
  const session = useCliSession(() => ({CIDX_SERVER_URL: fake.url}))

  it('logs in again with CIDX_USERNAME and CIDX_PASSWORD and lists the jobs (exit 0)', async () => {
    Object.assign(process.env, {CIDX_USERNAME: 'alice', CIDX_PASSWORD: PASSWORD})
    // The cached token is due for renewal (it expires within the 30 s margin).
    await cachedTokenStore(session.sandbox.configDir, fake.url, 'alice').save(tokensOf(fake, 5))
    const {exitCode, stderr, stdout} = await runCli(['jobs', 'list', '--json'])
    expect(stderr).to.equal('')
    expect(exitCode).to.equal(0)
    expect(JSON.parse(stdout)).to.have.length(1)
    expect({refreshes: fake.refreshes, logins: fake.logins}).to.deep.equal({refreshes: 1, logins: 1})
  })

  async function storeSession(tokens: ReturnType<typeof tokensOf>): Promise<void> {
    await writeSession(session.sandbox.configDir, {...tokens, role: 'admin', server: fake.url, username: 'alice'})
  }

  it('a stored session keeps its access token while it is valid', async () => {
    await storeSession(tokensOf(fake, 5))
    const {exitCode, stderr} = await runCli(['jobs', 'list', '--json'])
    expect(stderr).to.equal('')
    expect(exitCode).to.equal(0)
    expect(fake.refreshes).to.equal(1)
  })

  it('a stored session whose token has expired ends with exit 3 and one line that says to log in', async () => {
    const tokens = tokensOf(fake, -5)
    await storeSession(tokens)
    const {exitCode, stderr, stdout} = await runCli(['jobs', 'list', '--json'])
    expect(exitCode).to.equal(3)
    const {error} = JSON.parse(stdout)
    expect(error).to.include({kind: 'auth', exit_code: 3})
    expect(error.message).to.match(/^Your session could not be renewed: /)
    expect(error.hint).to.match(/cidx login/)
    expect(stdout + stderr).not.to.include(tokens.refreshToken)
    expect((await readSession(session.sandbox.configDir))?.username).to.equal('alice')

    // The refresh token is spent now: presenting it again is a replay, and the advice is the same.
    const human = await runCli(['jobs', 'list'])
    expect(human.exitCode).to.equal(3)
    expect(human.stderr).to.match(/^Error: Your session has expired: Token replay attack detected\b/)
    expect(human.stderr).to.match(/Run `cidx login` again/)
  })
})
