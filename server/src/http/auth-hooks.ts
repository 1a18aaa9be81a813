import type {FastifyRequest, preValidationAsyncHookHandler} from 'fastify'

import type {Principal} from '../auth/authenticator.js'
import type {Services} from '../services.js'

declare module 'fastify' {
  interface FastifyRequest {
    principal: null | Principal
  }
}

/**
 * Authentication runs before schema validation, as FastAPI resolves its auth dependency before
 * it reports query or body errors (a body that is not JSON at all is still a 422 first).
 */
export function requireUser(services: Services, missingDetail?: string): preValidationAsyncHookHandler {
  return async (request) => {
    request.principal = await services.authenticator.authenticate(request, missingDetail)
  }
}

export function requireAdmin(services: Services): preValidationAsyncHookHandler {
  return async (request) => {
    request.principal = await services.authenticator.authenticateAdmin(request)
  }
}

/** The caller, set by one of the hooks above. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is missing its authentication hook')
  return request.principal
}

export function isAdmin(principal: Principal): boolean {
  return principal.role === 'admin'
}
