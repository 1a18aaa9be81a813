import type {FastifyInstance} from 'fastify'

import type {RepoJobDeps} from '../jobs/handlers/repo-job-deps.js'
import type {Services} from '../services.js'

import {principalOf, requireUser} from '../http/auth-hooks.js'
import {HttpError} from '../http/errors.js'
import {submitJob, submitUnique} from '../http/job-submission.js'
import {activateRepo} from '../jobs/handlers/activate-repo.js'
import {removeWorkingCopy} from '../jobs/handlers/remove-working-copy.js'
import {syncWorkingCopy} from '../jobs/handlers/sync-working-copy.js'
import {indexKeys} from '../repos/layout.js'
import {type ActivatedRepoRow, activatedToWire} from '../repos/repo-store.js'
import {nowMicros, pythonIso} from '../time.js'
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

export function registerRepoRoutes(app: FastifyInstance, services: Services, deps: RepoJobDeps): void {
  const {repos, jobs} = services
  const user = requireUser(services)

  const existingActivated = (username: string, userAlias: string): ActivatedRepoRow => {
    const row = repos.activated(username, userAlias)
    if (!row) throw new HttpError(404, `Repository '${userAlias}' not found`)
    return row
  }

  app.get('/api/repos', {preValidation: user}, async (request) => {
    const rows = repos.activatedOf(principalOf(request).username)
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
      if (!repos.golden(body.golden_repo_alias))
        throw new HttpError(404, `Golden repository '${body.golden_repo_alias}' not found`)
      const inFlight = jobs.findActive('activate_repository', userAlias, username)
      if (inFlight)
        return reply
          .code(200)
          .send({job_id: inFlight.job_id, message: `Activation of repository '${userAlias}' is already in progress`})
      if (repos.activated(username, userAlias))
        return reply.code(200).send({job_id: '', message: `Repository '${userAlias}' is already activated`})
      const params = {goldenAlias: body.golden_repo_alias, userAlias, branch: body.branch_name ?? null}
      const job = submitJob(services, principal, {
        operationType: 'activate_repository',
        repository: userAlias,
        run: (context) => activateRepo(context, deps, params),
      })
      return reply.code(202).send({job_id: job.job_id, message: `Repository '${userAlias}' activation started`})
    },
  )

  app.delete<{Params: {user_alias: string}}>(
    '/api/repos/:user_alias',
    {preValidation: user},
    async (request, reply) => {
      const principal = principalOf(request)
      const {username} = principal
      const activated = existingActivated(username, request.params.user_alias)
      const job = submitUnique(
        services,
        principal,
        {
          operationType: 'deactivate_repository',
          repository: activated.user_alias,
          run: (context) =>
            removeWorkingCopy(context, deps, {
              dir: deps.layout.activated(username, activated.user_alias),
              repoKey: indexKeys.activated(username, activated.user_alias),
              forget: () => repos.deleteActivated(username, activated.user_alias),
              message: `Repository '${activated.user_alias}' deactivated`,
            }),
        },
        true,
      )
      return reply
        .code(202)
        .send({job_id: job.job_id, message: `Repository '${activated.user_alias}' deactivation started`})
    },
  )

  app.post<{Body: SyncBody}>('/api/repos/sync', {schema: syncSchema, preValidation: user}, async (request, reply) => {
    const principal = principalOf(request)
    const {username} = principal
    const {body} = request
    const activated = existingActivated(username, body.repository_alias)
    const options = {
      force: body.force ?? false,
      full_reindex: body.full_reindex ?? false,
      incremental: body.incremental ?? true,
    }
    const alias = activated.user_alias
    const job = submitUnique(
      services,
      principal,
      {
        operationType: 'sync_repository',
        repository: alias,
        run: (context) =>
          syncWorkingCopy(
            context,
            deps,
            {
              dir: deps.layout.activated(username, alias),
              repoKey: indexKeys.activated(username, alias),
              recordBase: (head) => repos.setActivatedSyncBase(username, alias, head),
              commit: (head, files) =>
                repos.markActivatedSynced(username, alias, {head, filesIndexed: files, syncedUs: nowMicros()}),
              message: `Repository '${alias}' synced`,
            },
            {force: options.force, fullReindex: options.full_reindex || !options.incremental},
          ),
      },
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
