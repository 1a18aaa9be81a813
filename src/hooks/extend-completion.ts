import type {Hook} from '@oclif/core'

/** The plugin-autocomplete commands that (re)write the completion scripts. */
const GENERATING_COMMANDS = new Set(['autocomplete', 'autocomplete:create'])

/**
 * After @oclif/plugin-autocomplete has (re)generated its bash and zsh completion, add ours to them:
 * flag values and job IDs (see completion/bash-completion.ts and zsh-completion.ts). It runs after
 * every command, so it returns at once unless that command generated the scripts, and loads
 * nothing until then.
 */
const hook: Hook.Postrun = async function ({Command, config}) {
  if (!GENERATING_COMMANDS.has(Command.id)) return
  const [{extendBashCompletion}, {extendZshCompletion}] = await Promise.all([
    import('../completion/bash-completion.js'),
    import('../completion/zsh-completion.js'),
  ])
  await Promise.all([extendBashCompletion(config), extendZshCompletion(config)])
}

export default hook
