import {CommandHelp, Help} from '@oclif/core'

import {ENVIRONMENT_HELP} from './base-command.js'
import {exitCodesHelp} from './exit-codes.js'

type Section = ReturnType<CommandHelp['sections']>[number]

/**
 * ENVIRONMENT and EXIT CODES sections in the help of every cidx command (not the plugins'
 * commands), after EXAMPLES. Declared once here instead of on each command class, and read from
 * the manifest like the rest of the help, so `--help` loads no command code.
 */
class CidxCommandHelp extends CommandHelp {
  protected override sections(): Section[] {
    const sections = super.sections()
    if (this.command.pluginName !== this.config.name) return sections
    const allowed = this.opts.sections?.map((name) => name.toLowerCase())
    const extra: Section[] = [
      {header: 'ENVIRONMENT', generate: () => ENVIRONMENT_HELP},
      {header: 'EXIT CODES', generate: exitCodesHelp},
    ].filter(({header}) => !allowed || allowed.includes(header.toLowerCase()))
    const examples = sections.findIndex(({header}) => header === 'EXAMPLES')
    const at = examples === -1 ? sections.length : examples + 1
    return [...sections.slice(0, at), ...extra, ...sections.slice(at)]
  }
}

export default class CidxHelp extends Help {
  protected override CommandHelpClass = CidxCommandHelp
}
