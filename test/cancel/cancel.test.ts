import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {type CancelClient, cancelJobs, type CancelUpdate} from '../../src/cancel/cancel.js'
import {
  CliError,
  ConflictError,
  ForbiddenError,
  InterruptedError,
  NetworkError,
  NotFoundError,
  ServerError,
} from '../../src/errors.js'
import {makeJob, noProgressDetail} from '../helpers/fixtures/job-fixtures.js'

/**
 * The engine's edge cases against a scripted client: statuses a real server shows in turn,
 * refusals, errors, and how many requests are in flight at once. The command tests run the
 * same engine against the local server.
 */

function job(id: string, status: string, fields: Partial<Job> = {}): Job {
  return makeJob({
    job_id: id,
    status,
    progress: 10,
    started_at: status === 'queued' ? null : '2026-11-28T09:14:03.010Z',
    progress_detail: noProgressDetail(),
    ...fields,
  })
}

interface Script {
  /** What the DELETE does: accept, or throw this. */
  cancel?: Error
  /** Milliseconds each request takes. */
  delayMs?: number
  /** What each GET returns in turn (the last one repeats), or throws. */
  views?: (Error | Job)[]
}

class ScriptedClient implements CancelClient {
  readonly calls: string[] = []
  inFlight = 0
  maxInFlight = 0
  private readonly gets = new Map<string, number>()

  constructor(private readonly scripts: Record<string, Script>) {}

  async cancelJob(id: string): Promise<{message: string}> {
    return this.request(`DELETE ${id}`, id, () => {
      const failure = this.scripts[id]?.cancel
      if (failure) throw failure
      return {message: 'Job cancelled successfully'}
    })
  }

  async getJob(id: string): Promise<Job> {
    return this.request(`GET ${id}`, id, () => {
      const views = this.scripts[id]?.views ?? [new NotFoundError(`Job not found: ${id}`)]
      const index = this.gets.get(id) ?? 0
      this.gets.set(id, index + 1)
      const view = views[Math.min(index, views.length - 1)]
      if (view instanceof Error) throw view
      return view
    })
  }

  private async request<T>(call: string, id: string, answer: () => T): Promise<T> {
    this.calls.push(call)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    try {
      await new Promise((resolve) => {
        setTimeout(resolve, this.scripts[id]?.delayMs ?? 1)
      })
      return answer()
    } finally {
      this.inFlight--
    }
  }
}

const FAST = {pollMs: 5}

describe('lib/cancel: cancelJobs', () => {
  it('reports a pending job cancelled after one look, with how long it took', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'cancelled', {started_at: null})]}})
    const report = await cancelJobs(client, ['a'], FAST)
    expect(report.exitCode).to.equal(0)
    expect(report.results).to.have.length(1)
    const [result] = report.results
    expect(result).to.include({
      job_id: 'a',
      outcome: 'cancelled',
      final_status: 'cancelled',
      // The server said nothing about it: neither does the CLI in its name.
      message: null,
    })
    expect(result.seconds).to.be.a('number').and.at.least(0)
    expect(Object.keys(result)).to.deep.equal(['job_id', 'outcome', 'final_status', 'seconds', 'message'])
    expect(client.calls).to.deep.equal(['DELETE a', 'GET a'])
  })

  it('keeps polling a job that stays running after the DELETE until it ends cancelled', async () => {
    const running = job('a', 'running')
    const client = new ScriptedClient({
      a: {views: [running, running, running, job('a', 'cancelled', {error_message: 'Job cancelled during execution'})]},
    })
    const updates: CancelUpdate[] = []
    const report = await cancelJobs(client, ['a'], {...FAST, onUpdate: (update) => updates.push(update)})
    expect(report.results[0]).to.include({
      outcome: 'cancelled',
      final_status: 'cancelled',
      message: 'Job cancelled during execution',
    })
    expect(report.exitCode).to.equal(0)
    expect(client.calls.filter((call) => call === 'GET a')).to.have.length(4)
    expect(updates.map((update) => (update.stage === 'waiting' ? update.status : update.stage))).to.deep.equal([
      'sending',
      'running',
      'running',
      'running',
      'cancelled',
      'done',
    ])
  })

  it('reports a job a real server ended cancelled while running (no error, progress 0) with no words of its own', async () => {
    const running = job('a', 'running')
    const client = new ScriptedClient({
      a: {views: [running, job('a', 'cancelled', {error_message: null, progress: 0})]},
    })
    const report = await cancelJobs(client, ['a'], FAST)
    expect(report.results[0]).to.include({outcome: 'cancelled', final_status: 'cancelled', message: null})
    expect(report.exitCode).to.equal(0)
  })

  it('keeps looking, less often, at a job that takes long to stop', async () => {
    const running = job('a', 'running')
    const views = [
      ...Array.from({length: 14}, () => running),
      job('a', 'cancelled', {error_message: 'Job cancelled during execution'}),
    ]
    const client = new ScriptedClient({a: {views}})
    const report = await cancelJobs(client, ['a'], {pollMs: 2})
    expect(report.results[0]).to.include({outcome: 'cancelled', final_status: 'cancelled'})
    expect(client.calls.filter((call) => call === 'GET a')).to.have.length(15)
  })

  it('counts a job the server reports failed with error "cancelled" as cancelled, and says what it saw', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'failed', {error_message: 'cancelled'})]}})
    const report = await cancelJobs(client, ['a'], FAST)
    expect(report.results[0]).to.include({outcome: 'cancelled', final_status: 'failed'})
    expect(report.results[0].message).to.include('failed: cancelled')
    expect(report.exitCode).to.equal(0)
  })

  it('reports a job that ended otherwise before the cancel took as failed (exit 6)', async () => {
    const client = new ScriptedClient({
      done: {views: [job('done', 'completed')]},
      broke: {views: [job('broke', 'failed', {error_message: 'git clone failed'})]},
    })
    const report = await cancelJobs(client, ['done', 'broke'], FAST)
    expect(report.results.map((result) => [result.outcome, result.final_status])).to.deep.equal([
      ['failed', 'completed'],
      ['failed', 'failed'],
    ])
    expect(report.results[0].message).to.equal('The job ended completed before the cancel took effect')
    expect(report.results[1].message).to.equal('The job ended failed before the cancel took effect: git clone failed')
    expect(report.exitCode).to.equal(6)
  })

  it('reports the server refusal of an ended job as already_finished with its status (exit 6)', async () => {
    const client = new ScriptedClient({
      a: {
        cancel: new ConflictError('Cannot cancel job in completed status', {status: 400}),
        views: [job('a', 'completed')],
      },
    })
    const report = await cancelJobs(client, ['a'], FAST)
    expect(report.results[0]).to.include({
      outcome: 'already_finished',
      final_status: 'completed',
      message: 'Cannot cancel job in completed status',
    })
    expect(report.exitCode).to.equal(6)
  })

  it('still reports already_finished when the ended job cannot be read', async () => {
    const client = new ScriptedClient({
      a: {cancel: new ConflictError('Cannot cancel job in failed status', {status: 400})},
    })
    const report = await cancelJobs(client, ['a'], FAST)
    expect(report.results[0]).to.include({outcome: 'already_finished', final_status: null})
  })

  it('reports missing and foreign jobs as not_found (exit 4)', async () => {
    const client = new ScriptedClient({
      gone: {cancel: new ForbiddenError('Job not found or not authorized', {status: 403})},
      other: {cancel: new NotFoundError('Job not found: other', {status: 404})},
    })
    const report = await cancelJobs(client, ['gone', 'other'], FAST)
    expect(report.results.map((result) => result.outcome)).to.deep.equal(['not_found', 'not_found'])
    expect(report.results[0]).to.include({final_status: null, message: 'Job not found or not authorized'})
    expect(report.exitCode).to.equal(4)
  })

  it('gives up on a job still running at the wait timeout (exit 124), having looked right at the deadline', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'running')]}})
    const started = Date.now()
    const report = await cancelJobs(client, ['a'], {pollMs: 20, waitTimeoutMs: 150})
    expect(Date.now() - started).to.be.below(2000)
    expect(report.results[0]).to.include({outcome: 'timed_out', final_status: 'running'})
    expect(report.results[0].message).to.match(/^Still running after 0\.15 s/)
    expect(report.results[0].seconds).to.be.at.least(0.15)
    expect(report.exitCode).to.equal(124)
  })

  it('lets the worst code win across jobs', async () => {
    const client = new ScriptedClient({
      ok: {views: [job('ok', 'cancelled')]},
      ended: {cancel: new ConflictError('Cannot cancel job in completed status')},
      slow: {views: [job('slow', 'running')]},
      gone: {cancel: new ForbiddenError('Job not found or not authorized')},
    })
    const report = await cancelJobs(client, ['ok', 'ended', 'slow', 'gone'], {pollMs: 10, waitTimeoutMs: 100})
    expect(report.results.map((result) => result.outcome)).to.deep.equal([
      'cancelled',
      'already_finished',
      'timed_out',
      'not_found',
    ])
    expect(report.exitCode).to.equal(124)
  })

  it('with wait false, stops once the server accepted: outcome requested, exit 0, no GET', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'running')]}})
    const report = await cancelJobs(client, ['a'], {wait: false})
    expect(report.results[0]).to.include({outcome: 'requested', final_status: null})
    expect(report.exitCode).to.equal(0)
    expect(client.calls).to.deep.equal(['DELETE a'])
  })

  it('reports a request that fails as error with that error exit code', async () => {
    const client = new ScriptedClient({
      net: {cancel: new NetworkError('connect ECONNREFUSED 127.0.0.1:9')},
      boom: {cancel: new ServerError('An internal server error occurred.', {status: 500})},
    })
    const report = await cancelJobs(client, ['net', 'boom'], FAST)
    expect(report.results.map((result) => [result.outcome, result.message])).to.deep.equal([
      ['error', 'connect ECONNREFUSED 127.0.0.1:9'],
      ['error', 'An internal server error occurred.'],
    ])
    // network (5) is more serious than a server error (1) in the table's order
    expect(report.exitCode).to.equal(5)
  })

  it('reports a job that vanishes while polled as not_found, and a poll that fails as error with the last status', async () => {
    const running = job('b', 'running')
    const client = new ScriptedClient({
      a: {views: [new NotFoundError('Job not found: a')]},
      b: {views: [running, new ServerError('Service unavailable', {status: 503})]},
    })
    const report = await cancelJobs(client, ['a', 'b'], FAST)
    expect(report.results[0]).to.include({
      outcome: 'not_found',
      final_status: null,
      message: 'The job disappeared while being cancelled: Job not found: a',
    })
    expect(report.results[1]).to.include({outcome: 'error', final_status: 'running', message: 'Service unavailable'})
    // an unexplained server error (1) ranks above not found (4) in the table's order
    expect(report.exitCode).to.equal(1)
  })

  it('sends each distinct job once, keeps the order asked, and never has more than `concurrency` requests in flight', async () => {
    const ids = Array.from({length: 12}, (_, index) => `job-${index}`)
    const scripts = Object.fromEntries(
      ids.map((id) => [id, {delayMs: 15, views: [job(id, 'running'), job(id, 'cancelled')]}]),
    )
    const client = new ScriptedClient(scripts)
    const report = await cancelJobs(client, [...ids, ids[0]], {concurrency: 3, pollMs: 5})
    expect(report.results.map((result) => result.job_id)).to.deep.equal(ids)
    expect(report.results.every((result) => result.outcome === 'cancelled')).to.equal(true)
    expect(client.calls.filter((call) => call.startsWith('DELETE'))).to.have.length(12)
    expect(client.maxInFlight).to.equal(3)
  })

  it('stops waiting when the signal aborts, with InterruptedError', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'running')]}})
    const controller = new AbortController()
    const seen: string[] = []
    const cancelling = cancelJobs(client, ['a'], {
      pollMs: 10,
      onUpdate(update) {
        seen.push(update.stage)
        if (update.stage === 'waiting') controller.abort()
      },
      signal: controller.signal,
    })
    const error = await cancelling.then(
      () => {},
      (error_: unknown) => error_,
    )
    expect(error).to.be.instanceOf(InterruptedError)
    expect((error as CliError).exitCode).to.equal(130)
    expect(seen).to.not.include('done')
  })

  it('refuses to start when the signal has already aborted', async () => {
    const client = new ScriptedClient({a: {views: [job('a', 'cancelled')]}})
    const controller = new AbortController()
    controller.abort()
    const error = await cancelJobs(client, ['a'], {signal: controller.signal}).catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(InterruptedError)
  })

  it('lets an unexpected (non-CLI) error through: it is a bug, not an outcome', async () => {
    const client = new ScriptedClient({a: {cancel: new TypeError('boom')}})
    const error = await cancelJobs(client, ['a'], FAST).catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(TypeError)
  })

  it('returns an empty report with exit 0 for no jobs', async () => {
    const report = await cancelJobs(new ScriptedClient({}), [])
    expect(report).to.deep.equal({results: [], exitCode: 0})
  })
})
