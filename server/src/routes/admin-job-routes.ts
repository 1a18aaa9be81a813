import type {FastifyInstance} from 'fastify'

import type {Services} from '../services.js'

import {requireAdmin} from '../http/auth-hooks.js'
import {QUERY_INTEGER} from '../http/validation.js'
import {cleanupMessage, deleteExpiredJobs} from '../jobs/handlers/retention.js'

const MAX_AGE_HOURS_LIMIT = 8760

const cleanupSchema = {querystring: {type: 'object', properties: {max_age_hours: QUERY_INTEGER}}}

export function registerAdminJobRoutes(app: FastifyInstance, services: Services): void {
  const admin = requireAdmin(services)

  app.delete<{Querystring: {max_age_hours?: number}}>(
    '/api/admin/jobs/cleanup',
    {schema: cleanupSchema, preValidation: admin},
    async (request) => {
      const maxAgeHours = Math.min(
        Math.max(request.query.max_age_hours ?? services.options.retentionHours, 1),
        MAX_AGE_HOURS_LIMIT,
      )
      const cleaned = deleteExpiredJobs(services.jobs, maxAgeHours)
      return {cleaned_count: cleaned, message: cleanupMessage(cleaned)}
    },
  )

  app.get('/api/admin/jobs/stats', {preValidation: admin}, async () => {
    const byStatus = services.jobs.countsByStatus()
    return {
      total_jobs: Object.values(byStatus).reduce((sum, n) => sum + n, 0),
      by_status: byStatus,
      by_type: services.jobs.countsByType(),
    }
  })
}
