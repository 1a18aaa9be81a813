import type {IncomingHttpHeaders} from 'node:http'

import type {Job} from '../jobs/job.js'
import type {JobStats, StatsWindow} from '../stats/job-stats.js'

import {ConflictError, ProtocolError} from '../errors.js'
import {normalizeHealth, type ServerHealth} from '../health/server-health.js'
import {normalizeServerStats} from '../stats/server-stats.js'
import {isRecord} from '../support/json.js'
import {CidxClient} from './cidx-client.js'
import {notCidxApiError, notCidxApiOn404} from './http-errors.js'
import {normalizeJob, wireStatusName} from './normalize.js'
import {PAGE_SIZE, walkJobs} from './paging.js'
import {parseServerSentEvents} from './sse.js'

/** What a listing asks for. Statuses are in the CLI's vocabulary (`queued`, not `pending`). */
export interface ListQuery {
  repository?: string
  since?: Date
  statuses?: string[]
  types?: string[]
  until?: Date
  user?: string
}

export interface JobsPage {
  jobs: Job[]
  limit: number
  offset: number
  total: number
}

/** What a cleanup would remove: the local server's `cleanup_preview`, or what a listing shows. */
export interface CleanupPreview {
  by_status: Record<string, number>
  count: number
  /** ISO end time (or, lacking one, creation time) of the newest and oldest such job; null when none. */
  newest: null | string
  oldest: null | string
}

/** The listing: every CIDX server has it, so it tells a CIDX server from a wrong URL. */
const LIST_PATH = '/api/jobs'

function countOf(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  throw new ProtocolError(`The server answered the cleanup with a ${what} that is not a count`)
}

function timeOrNull(value: unknown): null | string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : null
}

/** The header in which the local server names its extensions, e.g. `job_filters, job_events`. */
export const FEATURES_HEADER = 'x-cidx-features'

/** Feature names from a list a server sent: plain names only, anything else ignored. */
function featuresOfList(value: unknown): Set<string> {
  if (!Array.isArray(value)) return new Set()
  const names = value.map((name: unknown) => (typeof name === 'string' ? name.trim() : ''))
  return new Set(names.filter((name) => /^[a-z][a-z\d_]{0,63}$/.test(name)))
}

function numberField(body: Record<string, unknown>, key: string, fallback: number): number {
  const value = body[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback
}

/** The jobs API of a CIDX server: list, get, cancel, and the local server's push channel. */
export class JobsClient extends CidxClient {
  private featuresPromise?: Promise<Set<string>>

  /** DELETE /api/jobs/{id}. A 400 (already finished) is a conflict; 403 means missing or not yours. */
  async cancelJob(jobId: string): Promise<{message: null | string}> {
    const body = await this.requestJson('DELETE', `/api/jobs/${encodeURIComponent(jobId)}`, {
      errors: {
        400: (message) =>
          new ConflictError(message, {hint: 'Only queued and running jobs can be cancelled.', status: 400}),
      },
      idempotent: false,
    })
    // The server's words, or none: the CLI does not make up an answer for it.
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : null
    return {message}
  }

  /**
   * DELETE /api/admin/jobs/cleanup?max_age_hours=N (admins): the server removes its finished jobs
   * older than N hours at once. There is no dry run on a real server: see `cleanupPreview`.
   */
  async cleanupJobs(maxAgeHours: number): Promise<{cleaned_count: number}> {
    const body = await this.requestJson('DELETE', '/api/admin/jobs/cleanup', {
      searchParams: {max_age_hours: maxAgeHours},
      idempotent: false,
    })
    return {cleaned_count: countOf(isRecord(body) ? body.cleaned_count : undefined, '"cleaned_count"')}
  }

  /** The local server's `cleanup_preview` extension: exactly what `cleanupJobs` would remove, removing nothing. */
  async cleanupPreview(maxAgeHours: number): Promise<CleanupPreview> {
    const body = await this.requestJson('GET', '/api/admin/jobs/cleanup/preview', {
      searchParams: {max_age_hours: maxAgeHours},
    })
    if (!isRecord(body)) throw new ProtocolError('The server answered the cleanup preview with something not an object')
    const byStatus = isRecord(body.by_status) ? body.by_status : {}
    return {
      count: countOf(body.count, '"count"'),
      by_status: Object.fromEntries(
        Object.entries(byStatus).map(([status, count]) => [status, countOf(count, 'status count')]),
      ),
      oldest: timeOrNull(body.oldest),
      newest: timeOrNull(body.newest),
    }
  }

  async getJob(jobId: string): Promise<Job> {
    return normalizeJob(
      await this.requestJson('GET', `/api/jobs/${encodeURIComponent(jobId)}`, {
        onHeaders: (headers) => this.learnFeatures(headers),
      }),
    )
  }

  /**
   * GET /health with the caller's token (a real server requires one). A 503 with a body is the
   * server's answer "unhealthy", not a failure; not retried: a probe reports what it sees now.
   */
  async health(): Promise<ServerHealth> {
    return normalizeHealth(await this.requestJson('GET', '/health', {answerStatuses: [503], idempotent: false}))
  }

  /** One page as the server sends it (normalized, not filtered on the client). */
  /** GET /api/jobs/stats: the local server's figures over its whole history (feature `job_stats`), one type at most. */
  async jobStats(query: ListQuery, window: StatsWindow): Promise<JobStats> {
    const body = await this.requestJson('GET', '/api/jobs/stats', {
      searchParams: {
        operation_type: query.types?.[0],
        repository: query.repository,
        since: window.since.toISOString(),
        until: window.until.toISOString(),
        username: query.user,
      },
    })
    return normalizeServerStats(body)
  }

  /**
   * Every job matching the query, page after page, newest first within each status. It asks for
   * `pageSize` jobs a page (default 50, a real server's cap) from `startOffset` of each listing.
   */
  listJobs(query: ListQuery = {}, options: {pageSize?: number; startOffset?: number} = {}): AsyncGenerator<Job> {
    return walkJobs(this, query, options)
  }

  async listPage(query: ListQuery, page: {limit?: number; offset?: number} = {}): Promise<JobsPage> {
    const single = <T>(values: T[] | undefined): T | undefined => (values?.length === 1 ? values[0] : undefined)
    const status = single(query.statuses)
    const body = await this.requestJson('GET', LIST_PATH, {
      // The listing always exists on a CIDX server: a 404, or an answer without a "jobs" list, means the URL is wrong.
      errors: {404: notCidxApiOn404(`GET ${LIST_PATH}`)},
      searchParams: {
        limit: page.limit ?? PAGE_SIZE,
        offset: page.offset ?? 0,
        operation_type: single(query.types),
        repository: query.repository,
        since: query.since?.toISOString(),
        status: status === undefined ? undefined : wireStatusName(status),
        until: query.until?.toISOString(),
        username: query.user,
      },
      onHeaders: (headers) => this.learnFeatures(headers),
    })
    if (!isRecord(body) || !Array.isArray(body.jobs)) {
      throw notCidxApiError(this.serverUrl, `GET ${LIST_PATH}`, 'with no "jobs" list')
    }

    const jobs = body.jobs.map((raw) => normalizeJob(raw))
    return {
      jobs,
      limit: numberField(body, 'limit', page.limit ?? PAGE_SIZE),
      offset: numberField(body, 'offset', page.offset ?? 0),
      total: numberField(body, 'total', jobs.length),
    }
  }

  /**
   * Extensions the server offers (`job_filters`, `job_events`, ...); none for a real server. Read
   * from the header the local server adds to its jobs answers, so that a client which has had one
   * asks nothing more; before any, from GET /health with the caller's token (a real server
   * refuses it without one). Anything unreadable counts as a real server.
   */
  serverFeatures(): Promise<Set<string>> {
    this.featuresPromise ??= this.requestJson('GET', '/health', {idempotent: false})
      .then((body) => featuresOfList(isRecord(body) ? body.features : undefined))
      .catch(() => new Set<string>())
    return this.featuresPromise
  }

  /**
   * Job updates pushed by the local server (Server-Sent Events). A server without the channel
   * answers 404: that NotFoundError (status 404) tells the caller to poll instead.
   */
  async *streamJobEvents(jobIds: string[] | undefined, signal: AbortSignal): AsyncGenerator<Job> {
    let stream: AsyncIterable<Buffer>
    try {
      stream = await this.openEventStream(
        '/api/jobs/events',
        jobIds?.length ? {job_id: jobIds.join(',')} : undefined,
        signal,
      )
    } catch (error) {
      if (signal.aborted) return // stopped before the server answered: nothing to report
      throw error
    }

    for await (const event of parseServerSentEvents(stream)) {
      if (event.event !== 'job') continue
      let raw: unknown
      try {
        raw = JSON.parse(event.data)
      } catch {
        throw new ProtocolError('The server pushed a job event that is not JSON')
      }

      yield normalizeJob(raw)
    }
  }

  /** The features a jobs answer names in its header, kept for serverFeatures(). */
  private learnFeatures(headers: IncomingHttpHeaders): void {
    const header = headers[FEATURES_HEADER]
    this.featuresPromise ??= Promise.resolve(featuresOfList(typeof header === 'string' ? header.split(',') : []))
  }
}
