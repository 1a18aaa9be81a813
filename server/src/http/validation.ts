import type {FastifyRequest, FastifySchemaValidationError, FastifyServerOptions} from 'fastify'

/** One entry of FastAPI's validation `detail` list. */
export interface ValidationItem {
  ctx?: Record<string, unknown>
  input: unknown
  loc: (number | string)[]
  msg: string
  type: string
}

/** FastAPI's item for a body that is not (acceptable) JSON; the body itself is never echoed. */
export function jsonInvalidItem(reason: string): ValidationItem {
  return {loc: ['body'], msg: 'JSON decode error', type: 'json_invalid', input: {}, ctx: {error: reason}}
}

type RequestPart = 'body' | 'headers' | 'params' | 'querystring'

const LOCATION_NAMES: Record<RequestPart, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
}

const TYPE_MESSAGES: Record<string, {msg: string; type: string}> = {
  integer: {type: 'int_parsing', msg: 'Input should be a valid integer, unable to parse string as an integer'},
  number: {type: 'float_parsing', msg: 'Input should be a valid number, unable to parse string as a number'},
  boolean: {type: 'bool_parsing', msg: 'Input should be a valid boolean, unable to interpret input'},
  string: {type: 'string_type', msg: 'Input should be a valid string'},
  object: {type: 'model_attributes_type', msg: 'Input should be a valid dictionary or object to extract fields from'},
  array: {type: 'list_type', msg: 'Input should be a valid list'},
}

/**
 * An integer query parameter. Ajv's coercion turns `1e20` and `Infinity` into numbers it calls
 * integers (and its numeric keywords skip Infinity), but beyond the safe range a number is no
 * longer exact and SQLite refuses it: `exactInteger` refuses them like any invalid integer.
 */
export const QUERY_INTEGER = {type: 'integer', exactInteger: true} as const

/** Fastify's Ajv instance (Ajv is Fastify's dependency, not ours). */
type FastifyAjv = Parameters<NonNullable<NonNullable<FastifyServerOptions['ajv']>['onCreate']>>[0]

/**
 * Adds the keyword behind QUERY_INTEGER: a number must be an exact (safe) integer. It applies
 * to every type, as a keyword for numbers would be skipped for Infinity; what is not a number
 * at all is the `type` keyword's to report.
 */
export function addExactIntegerKeyword(ajv: FastifyAjv): void {
  ajv.addKeyword({
    keyword: 'exactInteger',
    schemaType: 'boolean',
    validate: (wanted: boolean, value: unknown) => !wanted || typeof value !== 'number' || Number.isSafeInteger(value),
  })
}

function partOf(context: string | undefined): RequestPart {
  return context === 'querystring' || context === 'params' || context === 'headers' ? context : 'body'
}

function pathSegments(instancePath: string): (number | string)[] {
  if (instancePath === '') return []
  return instancePath
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment))
}

function valueAt(root: unknown, segments: (number | string)[]): unknown {
  let value = root
  for (const segment of segments) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<number | string, unknown>)[segment]
  }

  return value
}

function describe(error: FastifySchemaValidationError, input: unknown): Pick<ValidationItem, 'ctx' | 'msg' | 'type'> {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((value) => `'${String(value)}'`)
      const last = allowed.pop()
      const expected = allowed.length > 0 ? `${allowed.join(', ')} or ${last}` : String(last)
      return {type: 'enum', msg: `Input should be ${expected}`, ctx: {expected}}
    }

    case 'exactInteger': {
      return TYPE_MESSAGES.integer
    }

    case 'maximum': {
      return {
        type: 'less_than_equal',
        msg: `Input should be less than or equal to ${String(params.limit)}`,
        ctx: {le: params.limit},
      }
    }

    case 'maxItems': {
      return {
        type: 'too_long',
        msg: `List should have at most ${String(params.limit)} items`,
        ctx: {max_length: params.limit},
      }
    }

    case 'maxLength': {
      const limit = Number(params.limit)
      return {
        type: 'string_too_long',
        msg: `String should have at most ${limit} character${limit === 1 ? '' : 's'}`,
        ctx: {max_length: limit},
      }
    }

    case 'minimum': {
      return {
        type: 'greater_than_equal',
        msg: `Input should be greater than or equal to ${String(params.limit)}`,
        ctx: {ge: params.limit},
      }
    }

    case 'minLength': {
      const limit = Number(params.limit)
      return {
        type: 'string_too_short',
        msg: `String should have at least ${limit} character${limit === 1 ? '' : 's'}`,
        ctx: {min_length: limit},
      }
    }

    case 'pattern': {
      return {
        type: 'string_pattern_mismatch',
        msg: `String should match pattern '${String(params.pattern)}'`,
        ctx: {pattern: params.pattern},
      }
    }

    case 'type': {
      const expected = String(params.type).split(',')[0]
      if (expected === 'object' && (input === undefined || input === null))
        return {type: 'missing', msg: 'Field required'}
      return TYPE_MESSAGES[expected] ?? {type: `${expected}_type`, msg: `Input should be a valid ${expected}`}
    }

    default: {
      return {type: 'value_error', msg: `Value error, ${error.message ?? 'invalid value'}`}
    }
  }
}

/**
 * The query as sent: the schema's type coercion has already turned `1e20` into a number in
 * `request.query`, but the client is told what it sent.
 */
function rawQuery(request: FastifyRequest): Record<string, string | string[]> {
  const params = new URLSearchParams(request.url.split('?')[1] ?? '')
  const query: Record<string, string | string[]> = {}
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name)
    query[name] = values.length === 1 ? values[0] : values
  }

  return query
}

/** Turns Ajv's errors into FastAPI's `detail` list: `loc`, `msg`, `type` and the rejected `input`. */
export function validationItemsFromAjv(
  errors: FastifySchemaValidationError[],
  context: string | undefined,
  request: FastifyRequest,
): ValidationItem[] {
  const part = partOf(context)
  const parsed: unknown = part === 'querystring' ? request.query : request[part]
  const sent: unknown = part === 'querystring' ? rawQuery(request) : parsed
  // What was sent where it can be found there, else as parsed (e.g. the list made of a single value).
  const inputAt = (segments: (number | string)[]) => valueAt(sent, segments) ?? valueAt(parsed, segments)
  return errors.map((error) => {
    const segments = pathSegments(error.instancePath)
    if (error.keyword === 'required') {
      const missing = String((error.params as {missingProperty: string}).missingProperty)
      return {
        loc: [LOCATION_NAMES[part], ...segments, missing],
        msg: 'Field required',
        type: 'missing',
        input: inputAt(segments) ?? null,
      }
    }

    const input = inputAt(segments)
    const {type, msg, ctx} = describe(error, input)
    return {loc: [LOCATION_NAMES[part], ...segments], msg, type, input: input ?? null, ...(ctx ? {ctx} : {})}
  })
}
