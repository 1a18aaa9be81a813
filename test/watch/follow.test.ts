import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'
import type {WatchEvent} from '../../src/watch/job-watcher.js'
import type {WatchRenderer} from '../../src/watch/watch-render.js'

import {JobsClient} from '../../src/client/jobs-client.js'
import {NotFoundError, WaitTimeoutError} from '../../src/errors.js'
import {ExitCode} from '../../src/exit-codes.js'
import {durationOf} from '../../src/flags.js'
import {followedExitCode, followJob, followJobs} from '../../src/watch/follow.js'
import {makeJob, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {rejection} from '../helpers/thrown.js'

const RUNNING = 'aaaa0000-0000-4000-8000-000000000001'
const FAILED = 'bbbb0000-0000-4000-8000-000000000002'

/** A renderer that records what it was given. */
function recorder(): WatchRenderer & {closedWith: (Error | undefined)[]; events: WatchEvent[]} {
  const events: WatchEvent[] = []
  const closedWith: (Error | undefined)[] = []
  return {
    events,
    closedWith,
    handle: (event) => events.push(event),
    async close(stopped) {
      closedWith.push(stopped)
    },
  }
}

describe('follow: jobs to their end (against a loopback server)', () => {
  let fake: FakeCidx
  let client: JobsClient

  beforeEach(async () => {
    fake = await startFakeCidx({
      paging: 'correct',
      jobs: [wireJob({job_id: RUNNING, status: 'running', progress: 10}), wireJob({job_id: FAILED, status: 'failed'})],
    })
    client = new JobsClient({
      env: {},
      credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token},
      retry: {baseDelayMs: 1},
    })
  })

  afterEach(() => fake.close())

  it('feeds the renderer until every job has ended, tells what it saw, and exits with the worst outcome', async () => {
    const renderer = recorder()
    const seen: Job[][] = []
    setTimeout(() => Object.assign(fake.jobs[0], {status: 'completed', progress: 100}), 300)
    const followed = await followJobs(client, {
      jobIds: [RUNNING, FAILED],
      intervalMs: 100,
      renderer,
      async onSeen(jobs) {
        seen.push(jobs)
      },
    })
    expect([...followed.jobs.values()].map((job) => [job.job_id, job.status])).to.have.deep.members([
      [RUNNING, 'completed'],
      [FAILED, 'failed'],
    ])
    expect(renderer.events.filter((event) => event.type === 'job').length).to.be.at.least(3)
    expect(renderer.closedWith).to.deep.equal([undefined])
    expect(seen).to.have.length(1)
    expect(followedExitCode(followed)).to.equal(ExitCode.JOB_FAILED)
  }).timeout(10_000)

  it('returns the last state of one job, and NotFoundError when the server loses it', async () => {
    setTimeout(() => Object.assign(fake.jobs[0], {status: 'completed', progress: 100}), 300)
    expect(await followJob(client, makeJob({job_id: RUNNING}), {intervalMs: 100})).to.include({
      job_id: RUNNING,
      status: 'completed',
    })
    fake.jobs[0].status = 'running'
    setTimeout(() => fake.jobs.splice(0, 1), 300)
    const error = await rejection(followJob(client, makeJob({job_id: RUNNING}), {intervalMs: 100}))
    expect(error).to.be.instanceOf(NotFoundError)
    expect(error.message).to.equal(`Job ${RUNNING} is no longer found on the server.`)
  }).timeout(10_000)

  it('gives up after the timeout, as written, closes the renderer with the reason, and still tells what it saw', async () => {
    const renderer = recorder()
    let seen: Job[] = []
    const error = await rejection(
      followJobs(client, {
        jobIds: [RUNNING],
        intervalMs: 100,
        timeout: durationOf('500ms'),
        renderer,
        async onSeen(jobs) {
          seen = jobs
        },
      }),
    )
    expect(error).to.be.instanceOf(WaitTimeoutError)
    expect(error.message).to.equal('Gave up waiting after 500ms.')
    expect(renderer.closedWith).to.deep.equal([error])
    expect(seen.map((job) => job.status)).to.deep.equal(['running'])
  }).timeout(10_000)

  it('counts a job the server lost as not found', () => {
    const job = makeJob({job_id: RUNNING, status: 'completed'})
    expect(followedExitCode({jobs: new Map([[RUNNING, job]]), gone: new Set()})).to.equal(ExitCode.OK)
    expect(followedExitCode({jobs: new Map([[RUNNING, job]]), gone: new Set([RUNNING])})).to.equal(ExitCode.NOT_FOUND)
  })
})
