import type {FastifyInstance} from 'fastify'

import type {JobParams} from '../jobs/handlers/job-handlers.js'
import type {Services} from '../services.js'

import {ActiveJobConflictError} from '../db/storage.js'
import {principalOf, requireUser} from '../http/auth-hooks.js'
import {HttpError} from '../http/errors.js'
import {activeKeyOf, submitJob, submitUnique} from '../http/job-submission.js'
import {type ActivatedRepoRow, activatedToWire} from '../repos/repo-store.js'
import {pythonIso} from '../time.js'
import {checkRepoFields} from './repo-validation.js'

interface ActivateBody {
  branch_name?: null | string
  golden_repo_alias: string
  user_alias?: null | string
}

interface SyncBody {
  force?: boolean
  full_reindex?: boolean
  incremental?: boolean
  repository_alias: string
}

const activateSchema = {
  body: {
    type: 'object',
    required: ['golden_repo_alias'],
    properties: {
      golden_repo_alias: {type: 'string', minLength: 1},
      branch_name: {type: ['string', 'null']},
      user_alias: {type: ['string', 'null']},
    },
  },
}

const syncSchema = {
  body: {
    type: 'object',
    required: ['repository_alias'],
    properties: {
      repository_alias: {type: 'string', minLength: 1},
      force: {type: 'boolean', default: false},
      full_reindex: {type: 'boolean', default: false},
      incremental: {type: 'boolean', default: true},
    },
  },
}

export function registerRepoRoutes(app: FastifyInstance, services: Services): void {
  const {repos, jobs} = services
  const user = requireUser(services)

  const existingActivated = async (username: string, userAlias: string): Promise<ActivatedRepoRow> => {
    const row = await repos.activated(username, userAlias)
    if (!row) throw new HttpError(404, `Repository '${userAlias}' not found`)
    return row
  }

  app.get('/api/repos', {preValidation: user}, async (request) => {
    const rows = await repos.activatedOf(principalOf(request).username)
    return {repositories: rows.map((row) => activatedToWire(row)), total: rows.length}
  })

  app.post<{Body: ActivateBody}>(
    '/api/repos/activate',
    {schema: activateSchema, preValidation: user},
    async (request, reply) => {
      const {body} = request
      const userAlias = body.user_alias ?? body.golden_repo_alias
      checkRepoFields([
        {field: 'golden_repo_alias', value: body.golden_repo_alias, kind: 'alias'},
        {field: 'user_alias', value: body.user_alias, kind: 'alias'},
        {field: 'branch_name', value: body.branch_name, kind: 'branch'},
      ])
      const principal = principalOf(request)
      const {username} = principal
      if (!(await repos.golden(body.golden_repo_alias)))
        throw new HttpError(404, `Golden repository '${body.golden_repo_alias}' not found`)
      const inProgress = (jobId: string) =>
        reply.code(200).send({job_id: jobId, message: `Activation of repository '${userAlias}' is already in progress`})
      const inFlight = await jobs.findActive('activate_repository', userAlias, username)
      if (inFlight) return inProgress(inFlight.job_id)
      if (await repos.activated(username, userAlias))
        return reply.code(200).send({job_id: '', message: `Repository '${userAlias}' is already activated`})
      const params: JobParams['activate_repository'] = {
        goldenAlias: body.golden_repo_alias,
        userAlias,
        branch: body.branch_name ?? null,
      }
      try {
        const job = await submitJob(services, principal, {
          operationType: 'activate_repository',
          repository: userAlias,
          params,
          // Two requests at once (on two nodes) make one activation: the second is told it is in progress.
          activeKey: activeKeyOf('activate_repository', userAlias, username),
        })
        return reply.code(202).send({job_id: job.job_id, message: `Repository '${userAlias}' activation started`})
      } catch (error) {
        if (error instanceof ActiveJobConflictError) return inProgress(error.holder?.job_id ?? '')
        throw error
      }
    },
  )

  app.delete<{Params: {user_alias: string}}>(
    '/api/repos/:user_alias',
    {preValidation: user},
    async (request, reply) => {
      const principal = principalOf(request)
      const activated = await existingActivated(principal.username, request.params.user_alias)
      const params: JobParams['deactivate_repository'] = {userAlias: activated.user_alias}
      const job = await submitUnique(
        services,
        principal,
        {operationType: 'deactivate_repository', repository: activated.user_alias, params},
        true,
      )
      return reply
        .code(202)
        .send({job_id: job.job_id, message: `Repository '${activated.user_alias}' deactivation started`})
    },
  )

  app.post<{Body: SyncBody}>('/api/repos/sync', {schema: syncSchema, preValidation: user}, async (request, reply) => {
    const principal = principalOf(request)
    const {body} = request
    const activated = await existingActivated(principal.username, body.repository_alias)
    const options = {
      force: body.force ?? false,
      full_reindex: body.full_reindex ?? false,
      incremental: body.incremental ?? true,
    }
    const alias = activated.user_alias
    const params: JobParams['sync_repository'] = {
      userAlias: alias,
      force: options.force,
      fullReindex: options.full_reindex || !options.incremental,
    }
    const job = await submitUnique(
      services,
      principal,
      {operationType: 'sync_repository', repository: alias, params},
      true,
    )
    return reply.code(202).send({
      job_id: job.job_id,
      status: 'queued',
      repository_id: alias,
      created_at: pythonIso(job.created_us),
      estimated_completion: null,
      progress: {percentage: 0, files_processed: 0, files_total: 0, current_file: null},
      options,
    })
  })
}
