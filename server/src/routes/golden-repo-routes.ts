import type {FastifyInstance} from 'fastify'

import type {JobParams} from '../jobs/handlers/job-handlers.js'
import type {Services} from '../services.js'

import {principalOf, requireAdmin} from '../http/auth-hooks.js'
import {HttpError} from '../http/errors.js'
import {submitUnique} from '../http/job-submission.js'
import {type GoldenRepoRow, goldenToWire} from '../repos/repo-store.js'
import {checkRepoFields} from './repo-validation.js'

interface AddBody {
  alias: string
  default_branch?: null | string
  description?: null | string
  repo_url: string
}

const addSchema = {
  body: {
    type: 'object',
    required: ['repo_url', 'alias'],
    properties: {
      repo_url: {type: 'string', minLength: 1, maxLength: 2048},
      alias: {type: 'string', minLength: 1},
      default_branch: {type: ['string', 'null']},
      description: {type: ['string', 'null'], maxLength: 2000},
    },
  },
}

export function registerGoldenRepoRoutes(app: FastifyInstance, services: Services): void {
  const {repos} = services
  const admin = requireAdmin(services)

  const existingGolden = async (alias: string): Promise<GoldenRepoRow> => {
    const row = await repos.golden(alias)
    if (!row) throw new HttpError(404, `Golden repository '${alias}' not found`)
    return row
  }

  app.get('/api/admin/golden-repos', {preValidation: admin}, async () => {
    const rows = await repos.allGolden()
    return {golden_repositories: rows.map((row) => goldenToWire(row)), total: rows.length}
  })

  app.post<{Body: AddBody}>(
    '/api/admin/golden-repos',
    {schema: addSchema, preValidation: admin},
    async (request, reply) => {
      const {body} = request
      checkRepoFields([
        {field: 'alias', value: body.alias, kind: 'alias'},
        {field: 'repo_url', value: body.repo_url, kind: 'repo_url'},
        {field: 'default_branch', value: body.default_branch, kind: 'branch'},
      ])
      // While an addition is in flight the row does not exist yet: submitUnique answers that 409.
      if (await repos.golden(body.alias)) throw new HttpError(409, `Golden repository '${body.alias}' already exists`)
      const params: JobParams['add_golden_repo'] = {
        alias: body.alias,
        repoUrl: body.repo_url,
        defaultBranch: body.default_branch ?? null,
        description: body.description ?? null,
      }
      const job = await submitUnique(
        services,
        principalOf(request),
        {operationType: 'add_golden_repo', repository: body.alias, params},
        false,
      )
      return reply.code(202).send({job_id: job.job_id, message: `Golden repository '${body.alias}' addition started`})
    },
  )

  app.post<{Params: {alias: string}}>(
    '/api/admin/golden-repos/:alias/refresh',
    {preValidation: admin},
    async (request, reply) => {
      const golden = await existingGolden(request.params.alias)
      const params: JobParams['global_repo_refresh'] = {alias: golden.alias}
      const job = await submitUnique(
        services,
        principalOf(request),
        {operationType: 'global_repo_refresh', repository: golden.alias, params},
        false,
      )
      return reply.code(202).send({job_id: job.job_id, message: `Golden repository '${golden.alias}' refresh started`})
    },
  )

  app.delete<{Params: {alias: string}}>(
    '/api/admin/golden-repos/:alias',
    {preValidation: admin},
    async (request, reply) => {
      const golden = await existingGolden(request.params.alias)
      const params: JobParams['remove_golden_repo'] = {alias: golden.alias}
      await submitUnique(
        services,
        principalOf(request),
        {operationType: 'remove_golden_repo', repository: golden.alias, params},
        false,
      )
      return reply.code(204).send()
    },
  )
}
