import {expect} from 'chai'

import {JobsClient} from '../../src/client/jobs-client.js'
import {InterruptedError, NetworkError, NotFoundError, WaitTimeoutError} from '../../src/errors.js'
import {JobWatcher, type WatchClient, type WatchEvent, type WatchOptions} from '../../src/watch/job-watcher.js'
import {DETAIL_BUDGET} from '../../src/watch/poll-source.js'
import {type HeldEventStream, holdEventStream} from '../helpers/servers/held-event-stream.js'
import {ON_CLUSTER} from '../helpers/servers/local-server.js'
import {pushlessProxy} from '../helpers/servers/loopback-proxy.js'
import {startWatchServer, USER, USER_PASSWORD, type WatchServer} from '../helpers/servers/watch-harness.js'
import {rejection} from '../helpers/thrown.js'

function clientFor(url: string): JobsClient {
  return new JobsClient({
    credentials: {serverUrl: url, source: 'env', username: USER, password: USER_PASSWORD},
    retry: {limit: 1, baseDelayMs: 50},
    timeouts: {connectMs: 2000, responseMs: 5000},
  })
}

type JobEvent = Extract<WatchEvent, {type: 'job'}>

function jobEvents(events: WatchEvent[]): JobEvent[] {
  return events.filter((event): event is JobEvent => event.type === 'job')
}

/** Runs the watcher to its end; `onEvent` may act on the server as events arrive. */
async function watchAll(
  watcher: JobWatcher,
  onEvent: (event: WatchEvent, events: WatchEvent[]) => unknown = () => {},
): Promise<WatchEvent[]> {
  const events: WatchEvent[] = []
  for await (const event of watcher.events()) {
    events.push(event)
    await onEvent(event, events)
  }

  return events
}

const pause = (ms: number) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

describe('job-watcher', () => {
  describe('against the local server (real HTTP, real jobs)', function () {
    this.timeout(90_000)
    let watch: WatchServer

    before(async () => {
      // 120 files in batches of 20, 60 ms apart: an activation runs for about half a second.
      watch = await startWatchServer({goldenFiles: 120, jobThrottleMs: 60})
    })

    after(async () => {
      await watch.stop()
    })

    for (const push of [true, false]) {
      it(`follows a real job from its first snapshot to its end (${push ? 'push' : 'polling'})`, async () => {
        const jobId = await watch.activate(`copy-${push}`)
        const watcher = new JobWatcher(clientFor(watch.url), {jobIds: [jobId], push, intervalMs: 200})
        const events = jobEvents(await watchAll(watcher))
        expect(watcher.mode).to.equal(push ? 'push' : 'poll')
        expect(events[0].changes).to.deep.equal(['new'])
        expect(events[0].previous).to.equal(null)
        expect(events.at(-1)!.job.status).to.equal('completed')
        expect(events.at(-1)!.job.progress).to.equal(100)
        for (const event of events.slice(1)) expect(event.changes).not.to.be.empty
        // It saw the job working, not just its end.
        expect(events.some((event) => event.job.status === 'running')).to.equal(true)
        expect(watcher.jobs.get(jobId)!.status).to.equal('completed')
      })

      it(`with no IDs follows the active jobs that match the filters, including new ones (${push ? 'push' : 'polling'})`, async () => {
        const wanted = await watch.seed({operation_type: 'sync_repository', status: 'running', repository: 'alpha'})
        const otherType = await watch.seed({operation_type: 'add_golden_repo', status: 'running', repository: 'alpha'})
        const otherRepo = await watch.seed({operation_type: 'sync_repository', status: 'running', repository: 'beta'})
        const watcher = new JobWatcher(clientFor(watch.url), {
          types: ['sync_repository'],
          repositories: ['alpha', 'gamma'],
          push,
          intervalMs: 200,
        })
        let late: string | undefined
        const events = await watchAll(watcher, async (event) => {
          if (event.type !== 'job') return
          if (event.job.job_id === wanted && event.changes[0] === 'new') {
            late = await watch.seed({operation_type: 'sync_repository', status: 'pending', repository: 'gamma'})
          } else if (event.job.job_id === late && event.changes[0] === 'new') {
            await watch.update(wanted, {status: 'completed', progress: 100, completed_at: new Date()})
            await watch.update(late, {status: 'cancelled', completed_at: new Date(), error: 'Job cancelled'})
          }
        })
        expect([...watcher.jobs.keys()].sort()).to.deep.equal([wanted, late].sort())
        const finals = Object.fromEntries([...watcher.jobs].map(([id, job]) => [id, job.status]))
        expect(finals).to.deep.equal({[wanted]: 'completed', [late!]: 'cancelled'})
        expect(jobEvents(events).map((event) => event.job.job_id)).not.to.include.members([otherType, otherRepo])
        for (const id of [otherType, otherRepo]) await watch.update(id, {status: 'completed'})
      })
    }

    it('follows given jobs until the last one ends, whatever order they come in', async () => {
      const done = await watch.seed({status: 'completed', progress: 100})
      const running = await watch.seed({status: 'running', progress: 10})
      const watcher = new JobWatcher(clientFor(watch.url), {jobIds: [done, running], intervalMs: 150})
      const events = jobEvents(
        await watchAll(watcher, async (event) => {
          if (event.type === 'job' && event.job.job_id === running && event.changes[0] === 'new')
            await watch.update(running, {status: 'failed', error: 'boom'})
        }),
      )
      expect(events.map((event) => [event.job.job_id, event.job.status])).to.deep.equal([
        [done, 'completed'],
        [running, 'running'],
        [running, 'failed'],
      ])
    })

    it('ends at once, with no events, when no active job matches', async () => {
      const watcher = new JobWatcher(clientFor(watch.url), {types: ['no_such_type']})
      expect(await watchAll(watcher)).to.deep.equal([])
    })

    it('keeps the requests per poll bounded however many jobs it follows', async () => {
      const ids: string[] = []
      for (let n = 0; n < 12; n++)
        ids.push(await watch.seed({status: 'running', current_phase: 'index', phase_detail: '1/10 files'}))
      const client = clientFor(watch.url)
      const calls = {getJob: 0, listPage: 0}
      const counting: WatchClient = {
        getJob(id) {
          calls.getJob++
          return client.getJob(id)
        },
        listPage(query, page) {
          calls.listPage++
          return client.listPage(query, page)
        },
        serverFeatures: () => client.serverFeatures(),
        streamJobEvents: (jobIds, signal) => client.streamJobEvents(jobIds, signal),
      }
      const watcher = new JobWatcher(counting, {jobIds: ids, push: false, intervalMs: 150})
      let steady = {getJob: 0, listPage: 0}
      const events = await watchAll(watcher, async (_event, all) => {
        if (all.length !== ids.length) return
        // Every job has shown up once; while all 12 run, count what a few polls cost.
        const before = {...calls}
        await pause(1000)
        steady = {getJob: calls.getJob - before.getJob, listPage: calls.listPage - before.listPage}
        for (const id of ids) await watch.update(id, {status: 'completed', progress: 100})
      })
      expect(jobEvents(events).filter((event) => event.job.status === 'completed')).to.have.length(ids.length)
      // One list call per active status per poll (3), and at most DETAIL_BUDGET job fetches on top.
      const polls = Math.ceil(steady.listPage / 3)
      expect(polls).to.be.at.least(3)
      expect(steady.getJob).to.be.at.most((polls + 1) * DETAIL_BUDGET)
      expect(steady.getJob).to.be.below(polls * ids.length)
    })

    it('throws NotFoundError for an ID the server does not know, before any event', async () => {
      const watcher = new JobWatcher(clientFor(watch.url), {jobIds: ['00000000-0000-4000-8000-000000000000']})
      expect(await rejection(watchAll(watcher))).to.be.instanceOf(NotFoundError)
    })

    it('reports a job the server stops knowing as gone, and stops following it', async () => {
      const jobId = await watch.seed({status: 'running'})
      const watcher = new JobWatcher(clientFor(watch.url), {jobIds: [jobId], push: false, intervalMs: 150})
      let archived = false
      const events = await watchAll(watcher, async (event) => {
        if (event.type !== 'job' || archived) return
        archived = true
        await watch.server.testing.archiveJob(jobId)
      })
      expect(events.at(-1)).to.include({type: 'gone', jobId})
      expect([...watcher.gone]).to.deep.equal([jobId])
    })

    it('stops with the signal: InterruptedError by default, or the reason it was given', async () => {
      const jobId = await watch.seed({status: 'running'})
      const interrupted = new AbortController()
      const first = new JobWatcher(clientFor(watch.url), {jobIds: [jobId], signal: interrupted.signal})
      const error = await rejection(watchAll(first, () => interrupted.abort()))
      expect(error).to.be.instanceOf(InterruptedError)
      const timedOut = AbortSignal.timeout(300)
      const waitError = await rejection(
        watchAll(
          new JobWatcher(clientFor(watch.url), {
            jobIds: [jobId],
            signal: abortWith(timedOut, new WaitTimeoutError('too slow')),
          }),
        ),
      )
      expect(waitError).to.be.instanceOf(WaitTimeoutError)
      const already = new AbortController()
      already.abort()
      expect(
        await rejection(watchAll(new JobWatcher(clientFor(watch.url), {jobIds: [jobId], signal: already.signal}))),
      ).to.be.instanceOf(InterruptedError)
      // The job itself was left alone.
      expect((await watch.job(jobId)).status).to.equal('running')
      await watch.update(jobId, {status: 'completed'})
    })

    for (const hideFeature of [true, false]) {
      it(`polls when the server has no push channel (${hideFeature ? 'not advertised' : 'advertised, but the stream answers 404'})`, async () => {
        const proxy = await pushlessProxy(watch.url, {hideFeature})
        try {
          const jobId = await watch.seed({status: 'running', progress: 20})
          const watcher = new JobWatcher(clientFor(proxy.url), {jobIds: [jobId], intervalMs: 150})
          const events = jobEvents(
            await watchAll(watcher, async (event) => {
              if (event.type !== 'job' || event.changes[0] !== 'new') return
              await pause(300)
              await watch.update(jobId, {progress: 60})
              await pause(300)
              await watch.update(jobId, {status: 'completed', progress: 100})
            }),
          )
          expect(watcher.mode).to.equal('poll')
          expect(events.map((event) => event.job.progress)).to.deep.equal([20, 60, 100])
        } finally {
          await proxy.close()
        }
      })
    }
  })

  describe('when the server refuses the event stream (429: too many open for the user)', function () {
    this.timeout(60_000)
    let watch: WatchServer
    let held: HeldEventStream

    before(async () => {
      watch = await startWatchServer({eventStreams: {perUser: 1}})
      held = await holdEventStream(watch.url, USER, USER_PASSWORD)
    })

    after(async () => {
      held.close()
      await watch.stop()
    })

    it('says so once and follows the job by polling to its end', async () => {
      const jobId = await watch.seed({status: 'running', progress: 20})
      const watcher = new JobWatcher(clientFor(watch.url), {jobIds: [jobId], intervalMs: 150})
      const events = await watchAll(watcher, async (event) => {
        if (event.type === 'push_refused') {
          await watch.update(jobId, {progress: 60})
          await pause(300)
          await watch.update(jobId, {status: 'completed', progress: 100})
        }
      })
      expect(watcher.mode).to.equal('poll')
      const refusals = events.filter((event) => event.type === 'push_refused')
      expect(refusals).to.have.length(1)
      expect(refusals[0].reason).to.match(/^HTTP 429\b/)
      expect(jobEvents(events).map((event) => event.job.progress)).to.deep.equal([20, 60, 100])
    })
  })

  describe('when the server goes away (own server: it is restarted)', function () {
    this.timeout(90_000)
    let watch: WatchServer

    beforeEach(async () => {
      // Access tokens live 2 s: every reconnection after the first seconds needs a renewed one.
      watch = await startWatchServer({accessTokenTtlSeconds: 2})
    })

    afterEach(async () => {
      await watch.stop()
    })

    for (const push of [true, false]) {
      it(`shows "reconnecting", resumes when the server is back, and sees what happened meanwhile (${push ? 'push' : 'polling'})`, async () => {
        const jobId = await watch.seed({status: 'running', progress: 30})
        const options: WatchOptions = {jobIds: [jobId], push, intervalMs: 200, reconnectGraceMs: 30_000}
        const watcher = new JobWatcher(clientFor(watch.url), options)
        const events = await watchAll(watcher, async (event) => {
          if (event.type === 'job' && event.changes[0] === 'new') {
            // Outlive the access token first, so the watch must renew it on the way.
            await pause(2500)
            await watch.close()
          } else if (event.type === 'reconnecting') {
            await watch.restart()
          }
        })
        const types = events.map((event) => event.type)
        expect(types).to.include.ordered.members(['job', 'reconnecting', 'reconnected', 'job'])
        const last = jobEvents(events).at(-1)!.job
        // A restart orphans the jobs that were running; a cluster node says so as of a dead node's jobs.
        const reason = ON_CLUSTER ? `Job interrupted: node ${watch.server.node} stopped` : 'Orphaned by server restart'
        expect(last).to.include({status: 'failed', error_message: reason})
      })
    }

    it('renews an expired access token during a long watch without a word', async () => {
      const jobId = await watch.seed({status: 'running', progress: 10})
      const watcher = new JobWatcher(clientFor(watch.url), {jobIds: [jobId], push: false, intervalMs: 200})
      const events = jobEvents(
        await watchAll(watcher, async (event) => {
          if (event.type !== 'job' || event.changes[0] !== 'new') return
          await pause(3000)
          await watch.update(jobId, {progress: 70})
          await pause(2500)
          await watch.update(jobId, {status: 'completed', progress: 100})
        }),
      )
      expect(events.map((event) => event.job.progress)).to.deep.equal([10, 70, 100])
    })

    it('gives up with NetworkError (exit 5) after the grace period', async () => {
      const jobId = await watch.seed({status: 'running'})
      const watcher = new JobWatcher(clientFor(watch.url), {
        jobIds: [jobId],
        push: false,
        intervalMs: 100,
        reconnectGraceMs: 1000,
      })
      const seen: string[] = []
      const error = await rejection(
        watchAll(watcher, async (event) => {
          seen.push(event.type)
          if (event.type === 'job') await watch.close()
        }),
      )
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as NetworkError).exitCode).to.equal(5)
      expect(error.message).to.match(/unreachable for \d+ s/)
      expect(seen).to.deep.equal(['job', 'reconnecting'])
    })
  })
})

/** A signal that aborts with `reason` when `trigger` does. */
function abortWith(trigger: AbortSignal, reason: Error): AbortSignal {
  const controller = new AbortController()
  trigger.addEventListener('abort', () => controller.abort(reason), {once: true})
  return controller.signal
}
