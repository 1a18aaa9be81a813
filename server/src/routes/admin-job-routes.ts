import type {FastifyInstance} from 'fastify'

import type {Services} from '../services.js'

import {requireAdmin} from '../http/auth-hooks.js'
import {QUERY_INTEGER} from '../http/validation.js'
import {cleanupMessage, deleteExpiredJobs, previewExpiredJobs} from '../jobs/handlers/retention.js'

const MAX_AGE_HOURS_LIMIT = 8760

const cleanupSchema = {querystring: {type: 'object', properties: {max_age_hours: QUERY_INTEGER}}}

type CleanupQuery = {Querystring: {max_age_hours?: number}}

export function registerAdminJobRoutes(app: FastifyInstance, services: Services): void {
  const admin = requireAdmin(services)
  const maxAgeHours = (query: CleanupQuery['Querystring']) =>
    Math.min(Math.max(query.max_age_hours ?? services.options.retentionHours, 1), MAX_AGE_HOURS_LIMIT)

  app.delete<CleanupQuery>(
    '/api/admin/jobs/cleanup',
    {schema: cleanupSchema, preValidation: admin},
    async (request) => {
      const cleaned = await deleteExpiredJobs(services, maxAgeHours(request.query))
      return {cleaned_count: cleaned, message: cleanupMessage(cleaned)}
    },
  )

  // The `cleanup_preview` extension: what the DELETE above would remove, removing nothing.
  app.get<CleanupQuery>(
    '/api/admin/jobs/cleanup/preview',
    {schema: cleanupSchema, preValidation: admin},
    async (request) => previewExpiredJobs(services, maxAgeHours(request.query)),
  )

  app.get('/api/admin/jobs/stats', {preValidation: admin}, async () => {
    const byStatus = await services.jobs.countsByStatus()
    return {
      total_jobs: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
      by_status: byStatus,
      by_type: await services.jobs.countsByType(),
    }
  })
}
