import {expect} from 'chai'

import {writeSession} from '../../../src/auth/session-store.js'
import {useCliSession} from '../../helpers/cli-session.js'
import {jobSeries} from '../../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../../helpers/servers/fake-cidx.js'
import {loopbackProxy, type LoopbackProxy} from '../../helpers/servers/loopback-proxy.js'
import {runCli, startWatchServer, useCliEnv, type WatchServer} from '../../helpers/servers/watch-harness.js'

describe('commands: the requests of jobs list and watch', function () {
  this.timeout(60_000)

  describe('against a server like a real CIDX server, with a stored session', () => {
    let fake: FakeCidx
    // Before the session's hooks: the session's environment names the fake's URL.
    beforeEach(async () => {
      fake = await startFakeCidx({paging: 'defect', jobs: jobSeries(60)})
    })

    afterEach(async () => {
      await fake.close()
    })
    const session = useCliSession(() => ({CIDX_SERVER_URL: fake.url}))

    /** A `cidx login` session whose access token is good for 10 minutes. */
    async function storeSession(): Promise<void> {
      const {accessToken, refreshToken} = fake.mint('alice', 600)
      await writeSession(session.sandbox.configDir, {
        accessToken,
        accessTokenExpiresAt: Date.now() + 600_000,
        refreshToken,
        role: 'admin',
        server: fake.url,
        username: 'alice',
      })
    }

    for (const mode of [['--json'], ['-q'], []]) {
      it(`jobs list ${mode.join(' ')} makes exactly one request: the listing`.replace('  ', ' '), async () => {
        await storeSession()
        const {exitCode, stdout} = await runCli(['jobs', 'list', ...mode])
        expect(exitCode).to.equal(0)
        expect(stdout).to.include(fake.jobs[0].job_id.slice(0, 8))
        expect(fake.requests).to.deep.equal(['GET /api/jobs'])
      })
    }

    it('jobs watch with nothing active asks only the listings, never /health', async () => {
      await storeSession()
      const {exitCode} = await runCli(['jobs', 'watch', '--json'])
      expect(exitCode).to.equal(0)
      expect(fake.requests.length).to.be.greaterThan(0)
      expect(fake.requests.every((request) => request === 'GET /api/jobs')).to.equal(true)
    })
  })

  describe('against the local server', () => {
    let watch: WatchServer
    let proxy: LoopbackProxy
    let restoreEnv: () => void
    const seen: string[] = []

    before(async () => {
      watch = await startWatchServer()
      proxy = await loopbackProxy(watch.url, {
        intercept(request) {
          seen.push(`${request.method} ${request.url}`)
          return false
        },
      })
      restoreEnv = useCliEnv(watch, {CIDX_SERVER_URL: proxy.url})
      await watch.seed({operation_type: 'reindex', status: 'completed'})
      for (let index = 0; index < 60; index++)
        await watch.seed({operation_type: 'sync_repository', status: 'completed'})
    })

    after(async () => {
      restoreEnv()
      await proxy.close()
      await watch.stop()
    })

    it('still uses its extensions (the server filters by type), learnt from the listing, not from /health', async () => {
      const {exitCode, stdout} = await runCli(['jobs', 'list', '--type', 'reindex', '--all', '--json'])
      expect(exitCode).to.equal(0)
      expect(JSON.parse(stdout)).to.have.length(1)
      const requests = seen.filter((line) => !line.startsWith('POST /auth/login'))
      expect(requests).to.have.length(1)
      expect(requests[0]).to.match(/^GET \/api\/jobs\?.*operation_type=reindex/)
    })
  })
})
