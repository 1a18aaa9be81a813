import type {FastifyInstance} from 'fastify'
import type {ServerResponse} from 'node:http'
import {isAdmin, principalOf, requireUser} from '../http/auth-hooks.js'
import {toWireJob, type WireJob} from '../jobs/job-row.js'
import type {Services} from '../services.js'

export const HEARTBEAT_INTERVAL_MS = 15_000
const RECONNECT_DELAY_MS = 2000
const MAX_WATCHED_IDS = 500

const eventsSchema = {
  querystring: {
    type: 'object',
    properties: {job_id: {type: 'array', items: {type: 'string', maxLength: 2000}, maxItems: MAX_WATCHED_IDS}},
  },
}

/** `?job_id=a&job_id=b` and `?job_id=a,b` both name a and b. */
function watchedIds(values: string[] | undefined): Set<string> | null {
  if (!values || values.length === 0) return null
  return new Set(values.flatMap((value) => value.split(',')).map((id) => id.trim()).filter(Boolean))
}

/** Open event streams, ended when the server closes (they would otherwise hold it open). */
export class EventStreams {
  private readonly open = new Map<ServerResponse, () => void>()

  /** `release` unsubscribes the stream; it runs once, whichever side ends the stream. */
  add(response: ServerResponse, release: () => void): void {
    this.open.set(response, release)
    response.once('close', () => this.release(response))
  }

  endAll(): void {
    for (const response of [...this.open.keys()]) {
      this.release(response)
      response.end()
    }
  }

  private release(response: ServerResponse): void {
    this.open.get(response)?.()
    this.open.delete(response)
  }
}

/** Writes unless the stream has ended: a write after the end would be an unhandled error. */
function write(response: ServerResponse, text: string): void {
  if (!response.writableEnded && !response.destroyed) response.write(text)
}

function writeJobEvent(response: ServerResponse, eventId: number, job: WireJob): void {
  write(response, `event: job\nid: ${eventId}\ndata: ${JSON.stringify(job)}\n\n`)
}

/**
 * `GET /api/jobs/events`: a Server-Sent Events stream of job changes (`event: job`, the job in
 * the wire shape with its phase). On connect it sends the current state of each watched job,
 * then every change; a comment line every 15 s keeps proxies from closing an idle stream.
 */
export function registerEventRoutes(app: FastifyInstance, services: Services, streams: EventStreams): void {
  app.get<{Querystring: {job_id?: string[]}}>('/api/jobs/events', {schema: eventsSchema, preValidation: requireUser(services)}, async (request, reply) => {
    const principal = principalOf(request)
    const ids = watchedIds(request.query.job_id)
    const visible = (job: WireJob) => (isAdmin(principal) || job.username === principal.username) && (ids === null || ids.has(job.job_id))
    const response = reply.raw
    reply.hijack()
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    response.write(`retry: ${RECONNECT_DELAY_MS}\n: connected\n\n`)
    let eventId = 0
    for (const id of ids ?? []) {
      const row = services.jobs.get(id)
      const job = row && toWireJob(services.engine.liveRow(row), true)
      if (job && visible(job)) writeJobEvent(response, ++eventId, job)
    }
    const unsubscribe = services.events.subscribe((job) => {
      if (visible(job)) writeJobEvent(response, ++eventId, job)
    })
    const heartbeat = setInterval(() => write(response, ': heartbeat\n\n'), HEARTBEAT_INTERVAL_MS)
    streams.add(response, () => {
      clearInterval(heartbeat)
      unsubscribe()
    })
  })
}
