import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'

import {replaceStdin} from '../../helpers/fake-stdin.js'
import {fakeJwt} from '../../helpers/fixtures/fake-jwt.js'
import {pythonIso, wireJob} from '../../helpers/fixtures/job-fixtures.js'
import {createSandbox, type Sandbox} from '../../helpers/sandbox.js'
import {type FakeCidx, startFakeCidx} from '../../helpers/servers/fake-cidx.js'
import {
  ADMIN_PASSWORD,
  runCli,
  startWatchServer,
  useCliEnv,
  type WatchServer,
} from '../../helpers/servers/watch-harness.js'

const DAY_MS = 86_400_000

function daysAgo(days: number): string {
  return pythonIso(new Date(Date.now() - days * DAY_MS))
}

function finishedJob(id: string, status: string, days: number) {
  const completedAt = status === 'running' ? null : daysAgo(days)
  return wireJob({job_id: id, status, created_at: daysAgo(days + 1), completed_at: completedAt})
}

/** Old and recent jobs, finished and not: four of them are finished and older than 720 h. */
function realServerJobs() {
  return [
    finishedJob('old-completed-1', 'completed', 40),
    finishedJob('old-completed-2', 'completed', 50),
    finishedJob('old-cancelled', 'cancelled', 45),
    finishedJob('old-failed', 'failed', 60),
    finishedJob('new-completed', 'completed', 2),
    finishedJob('new-failed', 'failed', 29),
    finishedJob('old-running', 'running', 90),
  ]
}

describe('commands: jobs cleanup', () => {
  let stdin: ReturnType<typeof replaceStdin> | undefined

  afterEach(() => {
    stdin?.restore()
    stdin = undefined
  })

  describe('against a server of the real shape (no dry run on the server)', () => {
    let fake: FakeCidx
    let sandbox: Sandbox
    let leave: () => void

    async function start(role: string): Promise<void> {
      fake = await startFakeCidx({paging: 'defect', jobs: realServerJobs(), token: fakeJwt({username: 'root', role})})
      sandbox = await createSandbox('cidx-cleanup-')
      leave = sandbox.enter({CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token})
    }

    afterEach(async () => {
      leave()
      await sandbox.remove()
      await fake.close()
    })

    it('--dry-run sends no DELETE, leaves every job and says its count is a lower bound', async () => {
      await start('admin')
      const json = await runCli(['jobs', 'cleanup', '--dry-run', '--json'])
      expect(json.exitCode, json.stderr).to.equal(0)
      expect(JSON.parse(json.stdout)).to.deep.include({
        dry_run: true,
        exact: false,
        count: 4,
        by_status: {cancelled: 1, completed: 2, failed: 1},
        cleaned_count: null,
        max_age_hours: 720,
      })
      const text = await runCli(['jobs', 'cleanup', '--dry-run', '--older-than', '48d'])
      expect(text.stdout).to.contain('Would delete at least 2 finished jobs older than 1152 h')
      expect(text.stdout).to.contain('by status: completed 1, failed 1').and.contain('a lower bound')
      expect(fake.cleanups).to.deep.equal([])
      expect(fake.jobs).to.have.length(7)
    })

    it('refuses off a terminal without --yes (exit 2), sending nothing', async () => {
      await start('admin')
      stdin = replaceStdin({tty: false})
      const run = await runCli(['jobs', 'cleanup'])
      expect(run.exitCode).to.equal(2)
      expect(run.stderr).to.contain('Refusing to delete jobs without confirmation')
      expect([fake.cleanups.length, fake.listings.length, fake.jobs.length]).to.deep.equal([0, 0, 7])
    })

    it('asks on a terminal, stating the count, and deletes only on yes', async () => {
      await start('admin')
      stdin = replaceStdin({tty: true})
      const answer = (text: string) => setTimeout(() => stdin?.stdin.write(text), 200)
      answer('n\n')
      const declined = await runCli(['jobs', 'cleanup'])
      expect(declined.stderr).to.contain('Delete at least 4 finished jobs older than 720 h? (y/N)')
      expect(declined.stdout).to.contain('Nothing deleted.')
      expect(fake.cleanups).to.have.length(0)
      answer('y\n')
      const accepted = await runCli(['jobs', 'cleanup', '--older-than', '30d'])
      expect(accepted.exitCode, accepted.stderr).to.equal(0)
      expect(accepted.stdout).to.contain('Deleted 4 finished jobs older than 720 h.')
      expect(fake.cleanups.map((query) => query.toString())).to.deep.equal(['max_age_hours=720'])
      expect(fake.jobs.map((job) => job.job_id)).to.deep.equal(['new-completed', 'new-failed', 'old-running'])
    })

    it('stops a non-admin with exit 4 and one line, before any request', async () => {
      await start('normal_user')
      const run = await runCli(['jobs', 'cleanup', '--yes'])
      expect(run.exitCode).to.equal(4)
      expect(run.stderr.trim().split('\n')).to.have.length(1)
      expect(run.stderr).to.contain('needs an admin; root has the role normal_user')
      expect([fake.cleanups.length, fake.listings.length, fake.healthChecks]).to.deep.equal([0, 0, 0])
    })

    it('takes --older-than in whole hours within the server range only', async () => {
      await start('admin')
      for (const value of ['90m', '0s', '400d']) {
        const run = await runCli(['jobs', 'cleanup', '--dry-run', '--older-than', value])
        expect(run.exitCode, value).to.equal(2)
        expect(run.stderr).to.contain('--older-than must be whole hours from 1h to 8760h')
      }

      expect(fake.listings).to.have.length(0)
    })
  })

  describe('against the local server', () => {
    let watch: WatchServer
    let leave: () => void
    let seeded: Record<string, string>

    beforeEach(async () => {
      watch = await startWatchServer()
      const seed = (status: string, days: number) =>
        watch.seed({status, created_at: daysAgo(days + 1), completed_at: daysAgo(days)})
      seeded = {
        oldCompleted: await seed('completed', 40),
        oldFailed: await seed('failed', 100),
        recent: await seed('completed', 1),
      }
      await watch.seed({status: 'running', created_at: daysAgo(90)})
    })

    afterEach(async () => {
      leave?.()
      await watch.stop()
    })

    it('previews exactly, then deletes with --yes and archives exactly the jobs it removed', async () => {
      leave = useCliEnv(watch, {CIDX_USERNAME: 'admin', CIDX_PASSWORD: ADMIN_PASSWORD})
      const preview = await runCli(['jobs', 'cleanup', '--dry-run', '--json'])
      expect(JSON.parse(preview.stdout)).to.deep.include({exact: true, count: 2, by_status: {completed: 1, failed: 1}})
      const archiveDir = join(watch.root, 'data', 'archive')
      expect(existsSync(archiveDir)).to.equal(false)
      const run = await runCli(['jobs', 'cleanup', '--yes', '--json'])
      expect(run.exitCode, run.stderr).to.equal(0)
      expect(JSON.parse(run.stdout)).to.include({cleaned_count: 2, dry_run: false})
      const archived = readdirSync(archiveDir).flatMap((file) =>
        gunzipSync(readFileSync(join(archiveDir, file)))
          .toString()
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as {job_id: string}).job_id),
      )
      expect(archived.sort()).to.deep.equal([seeded.oldCompleted, seeded.oldFailed].sort())
      expect((await watch.job(seeded.recent)).status).to.equal('completed')
    })

    it('stops a normal user with exit 4, deleting nothing', async () => {
      leave = useCliEnv(watch)
      const run = await runCli(['jobs', 'cleanup', '--yes'])
      expect(run.exitCode).to.equal(4)
      expect(run.stderr).to.contain('needs an admin; alice has the role normal_user')
      expect((await watch.job(seeded.recent)).status).to.equal('completed')
      expect(existsSync(join(watch.root, 'data', 'archive'))).to.equal(false)
    })
  })
})
