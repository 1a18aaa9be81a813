import type {Hook} from '@oclif/core'

/** The plugin-autocomplete commands that (re)write the completion scripts. */
const GENERATING_COMMANDS = new Set(['autocomplete', 'autocomplete:create'])

/**
 * After @oclif/plugin-autocomplete has (re)generated its bash completion, add ours to it: flag
 * values and job IDs (see completion/completion.ts). It runs after every command, so it returns at
 * once unless that command generated the scripts, and loads nothing until then.
 */
const hook: Hook.Postrun = async function ({Command, config}) {
  if (!GENERATING_COMMANDS.has(Command.id)) return
  const {extendBashCompletion} = await import('../completion/completion.js')
  await extendBashCompletion(config)
}

export default hook
