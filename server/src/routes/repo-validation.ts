import type {ValidationItem} from '../http/validation.js'

import {RequestValidationError} from '../http/errors.js'
import {ALIAS_PATTERN, BRANCH_PATTERN, repoUrlProblem} from '../repos/layout.js'

const aliasPattern = new RegExp(ALIAS_PATTERN)
const branchPattern = new RegExp(BRANCH_PATTERN)

export interface FieldCheck {
  field: string
  kind: 'alias' | 'branch' | 'repo_url'
  value: null | string | undefined
}

function problemOf(check: FieldCheck): null | string {
  if (check.value === null || check.value === undefined) return null
  switch (check.kind) {
    case 'alias': {
      return aliasPattern.test(check.value)
        ? null
        : String.raw`Alias must be 1-100 letters, digits, "-" or "_" (no "..", "/" or "\")`
    }

    case 'branch': {
      return branchPattern.test(check.value)
        ? null
        : 'Branch name must not start with "-" or contain "..", "//" or unusual characters'
    }

    case 'repo_url': {
      return repoUrlProblem(check.value)
    }
  }
}

/** Checks the fields a path or git command is made from; all problems are reported at once (422). */
export function checkRepoFields(checks: FieldCheck[]): void {
  const items: ValidationItem[] = []
  for (const check of checks) {
    const problem = problemOf(check)
    if (problem)
      items.push({loc: ['body', check.field], msg: `Value error, ${problem}`, type: 'value_error', input: check.value})
  }

  if (items.length > 0) throw new RequestValidationError(items)
}
