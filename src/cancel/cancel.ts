/**
 * The cancel engine behind `cidx jobs cancel`.
 *
 * A DELETE only asks: a real server answers 200 at once, but a running job goes on `running`
 * until its worker notices (about 0.1 s, about 2 s for jobs with subprocesses, some only when
 * they finish), and it may then end `cancelled` or `failed` with error "cancelled". So, unless
 * told not to wait, each job is polled until it is seen in a terminal state, and the outcome
 * reports what was seen. Requests (DELETEs and polls together) go out in parallel, at most
 * `concurrency` at a time, so cancelling many jobs never floods the server.
 */
import {setTimeout as sleep} from 'node:timers/promises'
import pLimit, {type LimitFunction} from 'p-limit'

import type {JobsClient} from '../client/jobs-client.js'

import {CliError, InterruptedError} from '../errors.js'
import {ExitCode, worstExitCode} from '../exit-codes.js'
import {isTerminal, type Job} from '../jobs/job.js'
import {untilAborted} from '../support/abort.js'

export const DEFAULT_WAIT_TIMEOUT_MS = 30_000
export const DEFAULT_CONCURRENCY = 4
/**
 * Pause between polls of one job. The first look follows the DELETE at once (a pending job is
 * cancelled by then); most running jobs stop within a second, so the pause stays short for
 * FAST_POLLS looks, then grows by half each time up to MAX_POLL_MS. With more jobs waiting than
 * requests allowed in flight, every pause stretches in proportion, so the request rate stays bounded.
 */
export const DEFAULT_POLL_MS = 100
const FAST_POLLS = 10
const MAX_POLL_MS = 1000
const POLL_GROWTH = 1.5

export type CancelClient = Pick<JobsClient, 'cancelJob' | 'getJob'>

/**
 * - cancelled: seen `cancelled` (or `failed` because of the cancel, as a real server may report it)
 * - requested: the server accepted the cancel and `--no-wait` asked not to look further
 * - already_finished: the server refused (400): the job had already ended
 * - not_found: no such job, or not the caller's (403/404)
 * - timed_out: still not ended when the wait timeout ran out
 * - failed: the job ended some other way (completed, failed on its own) before the cancel took
 * - error: the request itself failed (network, server error, authentication)
 */
export type CancelOutcome =
  'already_finished' | 'cancelled' | 'error' | 'failed' | 'not_found' | 'requested' | 'timed_out'

/** One job's result; exactly what `--json` prints per job. */
export interface CancelResult {
  /** The last status seen, normalized (`queued`, `running`, `cancelled`...); null when the job could not be read. */
  final_status: null | string
  job_id: string
  /** The server's words about the end, or what the CLI explains; null when the outcome says it all. */
  message: null | string
  outcome: CancelOutcome
  /** From the DELETE going out to the outcome being known. */
  seconds: number
}

export type CancelUpdate =
  | {job_id: string; result: CancelResult; stage: 'done'}
  | {job_id: string; stage: 'sending'}
  | {job_id: string; stage: 'waiting'; status: string}

export interface CancelOptions {
  /** Requests in flight at most. */
  concurrency?: number
  /** Called as each job moves on: request sent, status seen while waiting, outcome known. */
  onUpdate?: (update: CancelUpdate) => void
  pollMs?: number
  /** Aborting stops waiting (InterruptedError); cancel requests already sent stand. */
  signal?: AbortSignal
  /** Poll until each job has ended (default). false: stop once the server has accepted the cancel. */
  wait?: boolean
  /** How long to wait, counted from the start, for all jobs together. */
  waitTimeoutMs?: number
}

export interface CancelReport {
  /** 0 when every job ended cancelled (or was accepted, without waiting); else the most serious code. */
  exitCode: number
  /** One per distinct job asked for, in the order asked. */
  results: CancelResult[]
}

/** A failed-with-"cancelled" job was stopped by the cancel, whatever the server calls it. */
function endedByCancel(job: Job): boolean {
  return job.status === 'cancelled' || (job.status === 'failed' && /cancel/i.test(job.error_message ?? ''))
}

function secondsSince(startedMs: number): number {
  return Math.round((Date.now() - startedMs) / 10) / 100
}

function isMissing(error: CliError): boolean {
  return error.kind === 'not_found' || error.kind === 'forbidden'
}

/** Not one of ours: a bug, not an outcome. */
function requireCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  throw error
}

interface Settled {
  exitCode: number
  result: CancelResult
}

class CancelRun {
  private readonly concurrency: number
  private readonly deadline: number
  /** Runs at most `concurrency` requests at once, in the order they ask. */
  private readonly limit: LimitFunction
  private readonly pollMs: number
  private readonly wait: boolean
  /** Jobs being polled right now. */
  private waiting = 0
  private readonly waitTimeoutMs: number

  constructor(
    private readonly client: CancelClient,
    private readonly options: CancelOptions,
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY)
    this.limit = pLimit(this.concurrency)
    this.wait = options.wait ?? true
    this.waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS
    this.deadline = Date.now() + this.waitTimeoutMs
  }

  async cancel(jobId: string): Promise<Settled> {
    const startedMs = Date.now()
    this.options.onUpdate?.({job_id: jobId, stage: 'sending'})
    const settled = await this.limit(() => this.client.cancelJob(jobId)).then(
      () => (this.wait ? this.waitForEnd(jobId, startedMs) : this.accepted(jobId, startedMs)),
      (error: unknown) => this.refused(jobId, startedMs, requireCliError(error)),
    )
    this.options.onUpdate?.({job_id: jobId, stage: 'done', result: settled.result})
    return settled
  }

  private accepted(jobId: string, startedMs: number): Settled {
    return this.settle(
      jobId,
      startedMs,
      {
        outcome: 'requested',
        finalStatus: null,
        message: 'The server accepted the cancel; not waiting for the job to stop.',
      },
      ExitCode.OK,
    )
  }

  private ended(job: Job, startedMs: number): Settled {
    if (endedByCancel(job)) {
      // Only the server's words: a real server ends a cancelled job with no error text at all.
      const message =
        job.status === 'cancelled'
          ? job.error_message
          : `Stopped; the server reports it as failed: ${job.error_message}`
      return this.settle(job.job_id, startedMs, {outcome: 'cancelled', finalStatus: job.status, message}, ExitCode.OK)
    }

    const reason = job.error_message ? `: ${job.error_message}` : ''
    const message = `The job ended ${job.status} before the cancel took effect${reason}`
    return this.settle(job.job_id, startedMs, {outcome: 'failed', finalStatus: job.status, message}, ExitCode.CONFLICT)
  }

  /** A poll failed: the job vanished (cleaned up meanwhile), or the request did. */
  private lostSight(jobId: string, startedMs: number, error: CliError, lastStatus: null | string): Settled {
    if (isMissing(error)) {
      return this.settle(
        jobId,
        startedMs,
        {
          outcome: 'not_found',
          finalStatus: null,
          message: `The job disappeared while being cancelled: ${error.message}`,
        },
        ExitCode.NOT_FOUND,
      )
    }

    return this.settle(
      jobId,
      startedMs,
      {outcome: 'error', finalStatus: lastStatus, message: error.message},
      error.exitCode,
    )
  }

  private pauseBefore(look: number): number {
    const slowdown = look <= FAST_POLLS ? 1 : POLL_GROWTH ** (look - FAST_POLLS)
    const load = Math.max(1, this.waiting / this.concurrency)
    return Math.min(this.pollMs * slowdown, MAX_POLL_MS) * load
  }

  private async poll(jobId: string, startedMs: number): Promise<Settled> {
    let lastStatus: null | string = null
    for (let look = 0; ; look++) {
      if (look > 0)
        await sleep(Math.max(0, Math.min(this.pauseBefore(look), this.deadline - Date.now())), undefined, {
          signal: this.options.signal,
        })
      let job: Job
      try {
        job = await this.limit(() => this.client.getJob(jobId))
      } catch (error) {
        return this.lostSight(jobId, startedMs, requireCliError(error), lastStatus)
      }

      lastStatus = job.status
      this.options.onUpdate?.({job_id: jobId, stage: 'waiting', status: job.status})
      if (isTerminal(job.status)) return this.ended(job, startedMs)
      if (Date.now() >= this.deadline) {
        const message = `Still ${job.status} after ${this.waitTimeoutMs / 1000} s; the server has the cancel request and may stop it later.`
        return this.settle(jobId, startedMs, {outcome: 'timed_out', finalStatus: job.status, message}, ExitCode.TIMEOUT)
      }
    }
  }

  /** The DELETE was not accepted: say why, and for an ended job, how it ended. */
  private async refused(jobId: string, startedMs: number, error: CliError): Promise<Settled> {
    if (isMissing(error))
      return this.settle(
        jobId,
        startedMs,
        {outcome: 'not_found', finalStatus: null, message: error.message},
        ExitCode.NOT_FOUND,
      )
    if (error.kind !== 'conflict')
      return this.settle(
        jobId,
        startedMs,
        {outcome: 'error', finalStatus: null, message: error.message},
        error.exitCode,
      )
    const status = await this.limit(() => this.client.getJob(jobId)).then(
      (job) => job.status,
      () => null, // the refusal is the answer; its status is a detail
    )
    return this.settle(
      jobId,
      startedMs,
      {outcome: 'already_finished', finalStatus: status, message: error.message},
      ExitCode.CONFLICT,
    )
  }

  private settle(
    jobId: string,
    startedMs: number,
    verdict: {finalStatus: null | string; message: null | string; outcome: CancelOutcome},
    exitCode: number,
  ): Settled {
    return {
      result: {
        job_id: jobId,
        outcome: verdict.outcome,
        final_status: verdict.finalStatus,
        seconds: secondsSince(startedMs),
        message: verdict.message,
      },
      exitCode,
    }
  }

  /** Polls until the job has ended or the deadline has passed. */
  private async waitForEnd(jobId: string, startedMs: number): Promise<Settled> {
    this.waiting++
    try {
      return await this.poll(jobId, startedMs)
    } finally {
      this.waiting--
    }
  }
}

/** Cancels the jobs (full IDs) and reports each outcome; see CancelOptions. */
export async function cancelJobs(
  client: CancelClient,
  jobIds: readonly string[],
  options: CancelOptions = {},
): Promise<CancelReport> {
  const run = new CancelRun(client, options)
  const all = Promise.all([...new Set(jobIds)].map((id) => run.cancel(id)))
  const settled = await untilAborted(
    all,
    options.signal,
    () => new InterruptedError('Stopped waiting; the cancel requests already sent still stand.'),
  )
  return {results: settled.map((one) => one.result), exitCode: worstExitCode(settled.map((one) => one.exitCode))}
}
