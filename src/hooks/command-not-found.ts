import type {Hook} from '@oclif/core'

import {errorText, UsageError} from '../errors.js'
import {closestMatch} from '../support/closest-match.js'
import {safeJson, safeText} from '../ui/safe-text.js'

/** A command ID (`jobs:list`) as people type it: `cidx jobs list`. */
function typed(bin: string, id: string): string {
  return [bin, ...id.split(':')].join(' ')
}

/**
 * A mistyped command (`cidx jobs lst`) is a usage error like any other (exit 2, the same
 * `Error:` line, or a JSON error under --json), with the nearest command as the hint.
 */
const hook: Hook.CommandNotFound = async function ({argv, config, id}) {
  const visible = config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const nearest = closestMatch(id, visible)
  const error = new UsageError(`There is no command ${typed(config.bin, id)}`, {
    hint: nearest ? `Did you mean ${typed(config.bin, nearest)}?` : `See ${config.bin} --help for the commands.`,
  })
  if (argv?.includes('--json')) process.stdout.write(`${safeJson(error.toJSON(), 2)}\n`)
  else process.stderr.write(`${safeText(errorText(error), {multiline: true})}\n`)
  this.exit(error.exitCode)
}

export default hook
