import type {FastifyInstance} from 'fastify'

import type {Principal} from '../auth/authenticator.js'
import type {Services} from '../services.js'

import {isAdmin, principalOf, requireUser} from '../http/auth-hooks.js'
import {atCapacity} from '../http/errors.js'
import {SseStream} from '../http/sse-stream.js'
import {toWireJob, type WireJob} from '../jobs/job-row.js'

export const HEARTBEAT_INTERVAL_MS = 15_000
const RECONNECT_DELAY_MS = 2000
const MAX_WATCHED_IDS = 500
/** A slot frees when one of the user's streams closes, which a client cannot foresee: a short wait. */
const STREAM_LIMIT_RETRY_AFTER_SECONDS = 5
/** The longest setTimeout can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1

const eventsSchema = {
  querystring: {
    type: 'object',
    properties: {job_id: {type: 'array', items: {type: 'string', maxLength: 2000}, maxItems: MAX_WATCHED_IDS}},
  },
}

/** `?job_id=a&job_id=b` and `?job_id=a,b` both name a and b. */
function watchedIds(values: string[] | undefined): null | Set<string> {
  if (!values || values.length === 0) return null
  return new Set(
    values
      .flatMap((value) => value.split(','))
      .map((id) => id.trim())
      .filter(Boolean),
  )
}

/** Each change is serialized once, however many streams send it (all listeners get the same object). */
const serializedJobs = new WeakMap<WireJob, string>()

function serialized(job: WireJob): string {
  let text = serializedJobs.get(job)
  if (text === undefined) {
    text = JSON.stringify(job)
    serializedJobs.set(job, text)
  }

  return text
}

interface OpenStream {
  release: () => void
  username: string
}

/** Open event streams: counted per user, and ended when the server closes (they would otherwise hold it open). */
export class EventStreams {
  private readonly open = new Map<SseStream, OpenStream>()

  /** `release` unsubscribes the stream; it runs once, whichever side ends the stream. */
  add(stream: SseStream, username: string, release: () => void): void {
    this.open.set(stream, {username, release})
    stream.onClose(() => this.release(stream))
  }

  countOf(username: string): number {
    let count = 0
    for (const open of this.open.values()) if (open.username === username) count++
    return count
  }

  endAll(): void {
    for (const stream of this.open.keys()) {
      this.release(stream)
      stream.end()
    }
  }

  list(): {queuedBytes: number; username: string}[] {
    return [...this.open].map(([stream, {username}]) => ({username, queuedBytes: stream.queuedBytes}))
  }

  private release(stream: SseStream): void {
    this.open.get(stream)?.release()
    this.open.delete(stream)
  }
}

function refuseBeyondLimit(services: Services, streams: EventStreams, principal: Principal): void {
  const limit = services.options.eventStreams.perUser
  const open = streams.countOf(principal.username)
  if (open < limit) return
  throw atCapacity(
    `Server at capacity for user '${principal.username}': ${open} event streams open (limit ${limit}). Close one, or retry later.`,
    STREAM_LIMIT_RETRY_AFTER_SECONDS,
  )
}

/** Runs `action` at `atMs` (epoch ms), also when that is further off than one setTimeout can wait. */
function runAt(atMs: number, action: () => void): () => void {
  let timer: NodeJS.Timeout | undefined
  const wait = () => {
    const remainingMs = atMs - Date.now()
    if (remainingMs <= 0) action()
    else timer = setTimeout(wait, Math.min(remainingMs, MAX_TIMER_MS))
  }

  wait()
  return () => clearTimeout(timer)
}

/**
 * `GET /api/jobs/events`: a Server-Sent Events stream of job changes (`event: job`, the job in
 * the wire shape with its phase). On connect it sends the current state of each watched job,
 * then every change; a comment line every 15 s keeps proxies from closing an idle stream.
 * A client that stops reading gets the latest state of each job once it reads again, or is cut
 * off (see SseStream); each user may hold only so many streams open at once.
 */
export function registerEventRoutes(app: FastifyInstance, services: Services, streams: EventStreams): void {
  app.get<{Querystring: {job_id?: string[]}}>(
    '/api/jobs/events',
    {schema: eventsSchema, preValidation: requireUser(services)},
    async (request, reply) => {
      const principal = principalOf(request)
      refuseBeyondLimit(services, streams, principal)
      const ids = watchedIds(request.query.job_id)
      const visible = (job: WireJob) =>
        (isAdmin(principal) || job.username === principal.username) && (ids === null || ids.has(job.job_id))
      reply.hijack()
      const {maxBlockedMs, maxPendingBytes} = services.options.eventStreams
      const onCutOff = (reason: string) =>
        request.log.warn({username: principal.username}, `event stream cut off: ${reason}`)
      const stream = new SseStream(reply.raw, {maxBlockedMs, maxPendingBytes, onCutOff})
      const sendJob = (job: WireJob) => stream.send(job.job_id, 'job', serialized(job))
      stream.open(RECONNECT_DELAY_MS)
      // Changes while the watched jobs are read wait, so a newer state never precedes an older one.
      let held: undefined | WireJob[] = []
      const unsubscribe = services.events.subscribe((job) => {
        if (!visible(job)) return
        if (held) held.push(job)
        else sendJob(job)
      })
      const heartbeat = setInterval(() => stream.comment('heartbeat'), HEARTBEAT_INTERVAL_MS)
      // A stream must not outlive its token: it ends cleanly then, and the client reconnects with a renewed one.
      const cancelExpiry = principal.expiresAtMs === null ? () => {} : runAt(principal.expiresAtMs, () => stream.end())
      // Added before the watched jobs are read (each an await on PostgreSQL): a client that leaves
      // meanwhile releases it all the same, and it counts toward the user's limit from the start.
      streams.add(stream, principal.username, () => {
        clearInterval(heartbeat)
        cancelExpiry()
        unsubscribe()
      })
      for (const id of ids ?? []) {
        if (stream.closed) return
        const row = await services.jobs.get(id)
        const job = row && toWireJob(services.engine.liveRow(row), true)
        if (job && visible(job) && !held.some((newer) => newer.job_id === job.job_id)) sendJob(job)
      }

      for (const job of held) sendJob(job)
      held = undefined
    },
  )
}
