import type {FastifyInstance} from 'fastify'

import type {Services} from '../services.js'

import {isAdmin, principalOf, requireUser} from '../http/auth-hooks.js'
import {HttpError, RequestValidationError} from '../http/errors.js'
import {QUERY_INTEGER, type ValidationItem} from '../http/validation.js'
import {ACTIVE_STATUSES, toWireJob} from '../jobs/job-row.js'
import {parseIsoMicros} from '../time.js'

const DEFAULT_LIMIT = 10
const MAX_LIMIT = 100
/** The real server clamps to 1..100 and then serves at most 50. */
const PAGE_CAP = 50

export interface ListQuerystring {
  limit?: number
  offset?: number
  operation_type?: string
  repository?: string
  since?: string
  status?: string
  until?: string
  username?: string
}

const text = {type: 'string', maxLength: 200}

const listSchema = {
  querystring: {
    type: 'object',
    properties: {
      status: text,
      limit: QUERY_INTEGER,
      offset: QUERY_INTEGER,
      operation_type: text,
      repository: text,
      since: text,
      until: text,
      username: text,
    },
  },
}

/** `since`/`until` accept ISO dates and date-times; anything else is a 422 like FastAPI's. */
export function parseTimeFilters(query: ListQuerystring): {sinceUs?: number; untilUs?: number} {
  const problems: ValidationItem[] = []
  const parse = (name: 'since' | 'until'): number | undefined => {
    const value = query[name]
    if (value === undefined) return undefined
    const micros = parseIsoMicros(value)
    if (micros === null) {
      problems.push({
        loc: ['query', name],
        msg: 'Input should be a valid datetime or date, invalid datetime format',
        type: 'datetime_from_date_parsing',
        input: value,
      })
      return undefined
    }

    return micros
  }

  const range = {sinceUs: parse('since'), untilUs: parse('until')}
  if (problems.length > 0) throw new RequestValidationError(problems)
  return range
}

export function registerJobRoutes(app: FastifyInstance, services: Services): void {
  const {jobs, engine} = services

  app.get<{Querystring: ListQuerystring}>(
    '/api/jobs',
    {schema: listSchema, preValidation: requireUser(services)},
    async (request) => {
      const principal = principalOf(request)
      const {query} = request
      const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT, PAGE_CAP)
      const offset = Math.max(query.offset ?? 0, 0)
      const {rows, total} = await jobs.list({
        viewer: isAdmin(principal) ? undefined : principal.username,
        username: query.username,
        status: query.status,
        operationType: query.operation_type,
        repository: query.repository,
        ...parseTimeFilters(query),
        limit,
        offset,
      })
      return {jobs: rows.map((row) => toWireJob(engine.liveRow(row), false)), total, limit, offset}
    },
  )

  app.get<{Params: {job_id: string}}>(
    '/api/jobs/:job_id',
    {preValidation: requireUser(services, 'Authentication required')},
    async (request) => {
      const principal = principalOf(request)
      const row = await jobs.get(request.params.job_id)
      if (!row || (!isAdmin(principal) && row.username !== principal.username))
        throw new HttpError(404, `Job not found: ${request.params.job_id}`)
      return toWireJob(engine.liveRow(row), true)
    },
  )

  app.delete<{Params: {job_id: string}}>(
    '/api/jobs/:job_id',
    {preValidation: requireUser(services)},
    async (request) => {
      const principal = principalOf(request)
      const row = await jobs.get(request.params.job_id)
      if (!row || (!isAdmin(principal) && row.username !== principal.username))
        throw new HttpError(403, 'Job not found or not authorized')
      if (!(ACTIVE_STATUSES as readonly string[]).includes(row.status))
        throw new HttpError(400, `Cannot cancel job in ${row.status} status`)
      await engine.cancel(row)
      return {success: true, message: 'Job cancelled successfully'}
    },
  )
}
