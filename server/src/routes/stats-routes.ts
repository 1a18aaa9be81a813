import type {FastifyInstance} from 'fastify'

import type {Services} from '../services.js'

import {isAdmin, principalOf, requireUser} from '../http/auth-hooks.js'
import {readJobStats} from '../jobs/stats/job-stats-query.js'
import {nowMicros} from '../time.js'
import {type ListQuerystring, parseTimeFilters} from './job-routes.js'

const WEEK_US = 7 * 24 * 3_600_000_000
const text = {type: 'string', maxLength: 200}

const statsSchema = {
  querystring: {
    type: 'object',
    properties: {operation_type: text, repository: text, since: text, until: text, username: text},
  },
}

/**
 * `GET /api/jobs/stats` (an extension, feature `job_stats`): `jobs stats --json` computed over
 * the whole history of the window (default: the 7 days before `until`, itself default now), with
 * the filters and visibility of `GET /api/jobs` — a non-admin sees their own jobs.
 */
export function registerStatsRoutes(app: FastifyInstance, services: Services): void {
  app.get<{Querystring: ListQuerystring}>(
    '/api/jobs/stats',
    {schema: statsSchema, preValidation: requireUser(services)},
    async (request) => {
      const principal = principalOf(request)
      const {query} = request
      const range = parseTimeFilters(query)
      const untilUs = range.untilUs ?? nowMicros()
      return readJobStats(
        {
          viewer: isAdmin(principal) ? undefined : principal.username,
          username: query.username,
          operationType: query.operation_type,
          repository: query.repository,
          sinceUs: range.sinceUs ?? untilUs - WEEK_US,
          untilUs,
        },
        (window) => services.data.history.windowFigures(window),
      )
    },
  )
}
