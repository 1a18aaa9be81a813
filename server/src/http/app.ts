import fastify, {type FastifyInstance} from 'fastify'

import type {Services} from '../services.js'

import {registerAdminJobRoutes} from '../routes/admin-job-routes.js'
import {registerAuthRoutes} from '../routes/auth-routes.js'
import {type EventStreams, registerEventRoutes} from '../routes/event-routes.js'
import {registerGoldenRepoRoutes} from '../routes/golden-repo-routes.js'
import {registerHealthRoutes} from '../routes/health-routes.js'
import {registerJobRoutes} from '../routes/job-routes.js'
import {registerRepoRoutes} from '../routes/repo-routes.js'
import {registerStatsRoutes} from '../routes/stats-routes.js'
import {handleClientError, handleError, handleFrameworkError, handleNotFound} from './errors.js'
import {registerHostCheck} from './host-check.js'
import {registerJsonParser} from './json-body.js'
import {addExactIntegerKeyword} from './validation.js'

export interface AppParts {
  dummyPasswordHash: string
  services: Services
  streams: EventStreams
}

export function buildApp({services, streams, dummyPasswordHash}: AppParts): FastifyInstance {
  const app = fastify({
    logger: services.options.logger,
    bodyLimit: services.options.bodyLimitBytes,
    // close() means stop: a client's lingering keep-alive socket must not hold it for seconds.
    forceCloseConnections: true,
    // Report every invalid field at once, as FastAPI does; bodies are small (bodyLimit).
    ajv: {customOptions: {allErrors: true}, onCreate: addExactIntegerKeyword},
    // Fastify's own answers (a malformed URL, malformed HTTP) come in the contract's shape too.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
  })
  registerJsonParser(app)
  registerHostCheck(app, services.options.host, services.options.allowedHosts)
  app.decorateRequest('principal', null)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  registerHealthRoutes(app, services)
  registerAuthRoutes(app, services, dummyPasswordHash)
  registerEventRoutes(app, services, streams)
  registerStatsRoutes(app, services)
  registerJobRoutes(app, services)
  registerAdminJobRoutes(app, services)
  registerGoldenRepoRoutes(app, services)
  registerRepoRoutes(app, services)
  return app
}
