import type {FastifyInstance} from 'fastify'

import {RequestValidationError} from './errors.js'
import {jsonInvalidItem} from './validation.js'

/** Far deeper than any body of this API; deeper ones are refused before they are parsed or echoed. */
export const MAX_JSON_DEPTH = 32

/** Whether arrays and objects in JSON text nest deeper than `maxDepth`, counted without parsing (strings skipped). */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let index = 0; index < text.length; index++) {
    const char = text[index]
    if (inString) {
      if (char === '\\') index++
      else if (char === '"') inString = false
    } else
      switch (char) {
        case '"': {
          inString = true

          break
        }

        case '[':
        case '{': {
          if (++depth > maxDepth) return true

          break
        }

        case ']':
        case '}': {
          depth--

          break
        }
        // No default
      }
  }

  return false
}

/**
 * JSON bodies: an empty body means "no body" (FastAPI routes without a body accept it); a body
 * nested too deeply is a 422 `json_invalid` (echoing it in an error would overflow the stack);
 * anything else goes through Fastify's own parser and its prototype-poisoning checks.
 */
export function registerJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.addContentTypeParser('application/json', {parseAs: 'string'}, (request, body, done) => {
    const text = body.toString()
    if (text === '') done(null, undefined)
    else if (nestsDeeperThan(text, MAX_JSON_DEPTH))
      done(new RequestValidationError([jsonInvalidItem(`Nested more than ${MAX_JSON_DEPTH} levels deep`)]), undefined)
    else parseJson(request, text, done)
  })
}
