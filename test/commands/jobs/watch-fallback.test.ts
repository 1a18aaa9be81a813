import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {type HeldEventStream, holdEventStream} from '../../helpers/servers/held-event-stream.js'
import {loopbackProxy, passThrough} from '../../helpers/servers/loopback-proxy.js'
import {
  type CliChild,
  REPO_ROOT,
  runCli,
  spawnCli,
  startWatchServer,
  useCliEnv,
  USER,
  USER_PASSWORD,
  type WatchServer,
} from '../../helpers/servers/watch-harness.js'

const ISO_LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z {2}/
const POLLING_NOTICE = /^cidx: the server refused an event stream \(HTTP 429[^)]*\); polling instead$/

describe('commands: jobs watch and status --wait when the server refuses an event stream (429)', function () {
  this.timeout(60_000)
  let watch: WatchServer
  let held: HeldEventStream
  let child: CliChild | undefined

  before(async () => {
    // One stream per user, and the test holds alice's: every stream the CLI asks for is refused.
    watch = await startWatchServer({eventStreams: {perUser: 1}})
    held = await holdEventStream(watch.url, USER, USER_PASSWORD)
    expect(watch.server.testing.eventStreams()).to.have.length(1)
  })

  afterEach(() => {
    if (child?.child.exitCode === null) child.child.kill()
    child = undefined
  })

  after(async () => {
    held.close()
    await watch.stop()
  })

  it('the built CLI says so once on stderr, follows the job by polling to its end and exits 0', async () => {
    expect(existsSync(join(REPO_ROOT, 'dist/index.js')), 'dist/index.js is missing: run `npm run build`').to.equal(true)
    const id = await watch.seed({status: 'running', progress: 10})
    child = spawnCli(['jobs', 'watch', id, '--interval', '0.2s'], watch.childEnv(), 'bin/run.js')
    await child.line((text) => text.includes(`${id}  sync_repository  running  10%`))
    await watch.update(id, {progress: 55})
    await child.line((text) => text.includes(`${id}  sync_repository  running  55%`))
    await watch.update(id, {status: 'completed', progress: 100, completed_at: new Date()})
    const {code} = await child.exit
    const stdout = child.lines.map((line) => line.text)
    expect(code, child.stderr()).to.equal(0)
    expect(child.stderr().trimEnd().split('\n')).to.satisfy(
      (lines: string[]) => lines.length === 1 && POLLING_NOTICE.test(lines[0]),
    )
    expect(stdout.slice(0, -1).every((line) => ISO_LINE.test(line))).to.equal(true)
    expect(stdout.at(-2)).to.match(new RegExp(`${id}  sync_repository  completed  100%`))
    expect(stdout.at(-1)).to.equal('Done: 1 completed.')
    // The test's stream was never disturbed.
    expect(watch.server.testing.eventStreams()).to.have.length(1)
  })

  it('status --wait follows the job by polling to its end and exits 0', async () => {
    const id = await watch.seed({status: 'running', progress: 30})
    // The job ends once the server has refused the CLI its stream.
    const proxy = await loopbackProxy(watch.url, {
      relay(request, answer, response) {
        if (!request.url?.startsWith('/api/jobs/events') || answer.statusCode !== 429)
          return passThrough(request, answer, response)
        // Stored before the CLI hears the refusal, so its first poll may already find the job ended.
        void watch
          .update(id, {status: 'completed', progress: 100, completed_at: new Date()})
          .then(() => passThrough(request, answer, response))
      },
    })
    const restoreEnv = useCliEnv(watch, {CIDX_SERVER_URL: proxy.url})
    try {
      const {stdout, stderr, exitCode} = await runCli(['jobs', 'status', id, '--wait'])
      expect(exitCode, stderr).to.equal(0)
      expect(stdout).to.match(/^Status +completed$/m)
    } finally {
      restoreEnv()
      await proxy.close()
    }
  })
})
