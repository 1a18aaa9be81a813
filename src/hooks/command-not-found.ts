import type {Hook, Interfaces} from '@oclif/core'

import {exitQuietly, reportError, unexpectedArguments} from '../base-command.js'
import {type CliError, UsageError} from '../errors.js'
import {closestMatch} from '../support/closest-match.js'

/** A command ID (`jobs:list`) as people type it: `cidx jobs list`. */
function typed(bin: string, id: string): string {
  return [bin, ...id.split(':')].join(' ')
}

/**
 * What is wrong with `id`: words after a command that takes no arguments (oclif joins them into
 * the ID: `jobs:list:extra`), or a mistyped command, with the nearest one as the hint.
 */
function notACommand(config: Interfaces.Config, id: string): CliError {
  const words = id.split(':')
  for (let length = words.length - 1; length > 0; length--) {
    const command = words.slice(0, length).join(':')
    if (config.findCommand(command)) {
      return unexpectedArguments(words.slice(length), {command: typed(config.bin, command)})
    }
  }

  const visible = config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const nearest = closestMatch(id, visible)
  return new UsageError(`There is no command ${typed(config.bin, id)}`, {
    hint: nearest ? `Did you mean ${typed(config.bin, nearest)}?` : `See ${config.bin} --help for the commands.`,
  })
}

/**
 * A mistyped command (`cidx jobs lst`) is a usage error like any other (exit 2, the same
 * `Error:` line, or a JSON error under --json), with the nearest command as the hint.
 */
const hook: Hook.CommandNotFound = async function ({argv, config, id}) {
  const error = notACommand(config, id)
  reportError(error, {bin: config.bin, json: argv?.includes('--json') ?? false})
  exitQuietly(error.exitCode)
}

export default hook
