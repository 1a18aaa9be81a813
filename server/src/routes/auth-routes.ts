import type {FastifyInstance} from 'fastify'

import {setTimeout as delay} from 'node:timers/promises'

import type {Services} from '../services.js'

import {verifyPassword} from '../auth/passwords.js'
import {type Role, ROLES, type StoredUser, USERNAME_PATTERN} from '../auth/users.js'
import {principalOf, requireAdmin, requireUser} from '../http/auth-hooks.js'
import {HttpError, unauthorized} from '../http/errors.js'
import {pythonIso} from '../time.js'

/** Failed logins take at least this long, whether the user exists or not. */
const LOGIN_FAILURE_FLOOR_MS = 100
const NOT_BLANK = String.raw`\S`

const loginSchema = {
  body: {
    type: 'object',
    required: ['username', 'password'],
    properties: {
      username: {type: 'string', maxLength: 256, pattern: NOT_BLANK},
      password: {type: 'string', maxLength: 1024, pattern: NOT_BLANK},
    },
  },
}

const refreshSchema = {
  body: {
    type: 'object',
    required: ['refresh_token'],
    properties: {refresh_token: {type: 'string', minLength: 1, maxLength: 512}},
  },
}

const apiKeySchema = {
  body: {type: 'object', required: ['name'], properties: {name: {type: 'string', maxLength: 100, pattern: NOT_BLANK}}},
}

const createUserSchema = {
  body: {
    type: 'object',
    required: ['username', 'password', 'role'],
    properties: {
      username: {type: 'string', pattern: USERNAME_PATTERN},
      password: {type: 'string', minLength: 8, maxLength: 1024},
      role: {type: 'string', enum: [...ROLES]},
    },
  },
}

function userBody(user: StoredUser): Record<string, unknown> {
  return {username: user.username, role: user.role, created_at: pythonIso(user.created_us)}
}

export function registerAuthRoutes(app: FastifyInstance, services: Services, dummyPasswordHash: string): void {
  const {users, accessTokens, refreshTokens, loginLimiter} = services

  app.post<{Body: {password: string; username: string}}>('/auth/login', {schema: loginSchema}, async (request) => {
    const startedMs = Date.now()
    const {username, password} = request.body
    const retryAfter = loginLimiter.retryAfterSeconds(username, request.ip)
    if (retryAfter > 0)
      throw new HttpError(429, 'Too many login attempts. Please try again later.', {'retry-after': String(retryAfter)})
    loginLimiter.recordAttempt(username, request.ip)
    const user = await users.get(username)
    // An unknown user costs the same scrypt as a wrong password: timing tells nothing.
    const passwordMatches = await verifyPassword(password, user?.password_hash ?? dummyPasswordHash)
    if (!user || !passwordMatches) {
      await delay(Math.max(0, LOGIN_FAILURE_FLOOR_MS - (Date.now() - startedMs)))
      throw unauthorized('Invalid credentials')
    }

    loginLimiter.succeeded(username, request.ip)
    const session = await refreshTokens.startFamily(user.username)
    const access = await accessTokens.issue(user.username, user.role, {sid: session.familyId})
    return {
      access_token: access.token,
      token_type: 'bearer',
      user: userBody(user),
      refresh_token: session.token,
      refresh_token_expires_in: refreshTokens.ttlSeconds,
    }
  })

  const refresh = async (request: {body: {refresh_token: string}}) => {
    const rotated = await refreshTokens.rotate(request.body.refresh_token)
    const user = await users.get(rotated.username)
    if (!user) throw unauthorized('User not found')
    const access = await accessTokens.issue(user.username, user.role, {sid: rotated.familyId})
    return {
      access_token: access.token,
      refresh_token: rotated.token,
      token_type: 'bearer',
      user: userBody(user),
      access_token_expires_in: accessTokens.ttlSeconds,
      refresh_token_expires_in: refreshTokens.ttlSeconds,
    }
  }

  app.post<{Body: {refresh_token: string}}>('/api/auth/refresh', {schema: refreshSchema}, refresh)
  // The legacy path: on the real server it spends the token and returns none (a defect); here it rotates properly.
  app.post<{Body: {refresh_token: string}}>('/auth/refresh', {schema: refreshSchema}, refresh)

  app.post<{Body: {name: string}}>(
    '/api/keys',
    {schema: apiKeySchema, preValidation: requireUser(services)},
    async (request, reply) => {
      const created = await services.apiKeys.create(principalOf(request).username, request.body.name.trim())
      return reply.code(201).send(created)
    },
  )

  app.post<{Body: {password: string; role: Role; username: string}}>(
    '/api/admin/users',
    {schema: createUserSchema, preValidation: requireAdmin(services)},
    async (request, reply) => {
      const created = await users.create(request.body.username, request.body.password, request.body.role)
      if (!created) throw new HttpError(409, `User '${request.body.username}' already exists`)
      return reply.code(201).send(userBody(created))
    },
  )
}
