import type {Interfaces} from '@oclif/core'

import {
  commandIdList,
  type CompletionCommand,
  completionCommands,
  END_MARKER,
  extendGeneratedScript,
  extensionHead,
  functionPrefix,
  pluginScriptPath,
} from './shell-script.js'

/**
 * zsh completion beyond command and flag names. @oclif/plugin-autocomplete generates
 * `<cacheDir>/autocomplete/functions/zsh/_<bin>`, an autoloaded completion function (`#compdef
 * <bin>`) that defines `_<bin>` and calls it, completing command names with their summaries and
 * flag names, but files for every value and argument. After the plugin has written it (our
 * postrun hook), we put our `_<bin>` in place of the plugin's, just before the file's final call
 * (which then calls ours): it
 * completes flag values (`--status <TAB>`, `failed,<TAB>`, `--status=<TAB>`), the job types seen
 * before (`--type`) and job IDs with their type, status and repository as descriptions (from the
 * local cache through the hidden `jobs:recent-ids`, so a TAB never waits on the network), and
 * hands everything else to the plugin's function, kept under another name.
 */

/** The file the plugin generates. */
export function zshCompletionPath(config: Pick<Interfaces.Config, 'bin' | 'cacheDir'>): string {
  return pluginScriptPath(config, 'zsh', `_${config.bin}`)
}

/**
 * The zsh code that goes before the plugin file's final `_<bin>` call. Candidates go through
 * compadd and _describe, which insert them quoted and never evaluate them (the cache keeps only
 * safe words too, see id-cache.ts). Locals avoid zsh's special names (`path`, `commands`, `status`).
 */
export function zshCompletionExtension(config: Pick<Interfaces.Config, 'bin'>, commands: CompletionCommand[]): string {
  const prefix = functionPrefix(config.bin)
  const main = `_${config.bin}`
  return `${extensionHead(config.bin, commands, ' --describe')}

# The plugin's function under another name; compdef calls ours, which hands it the rest.
functions[${prefix}_jobs_plugin]="$functions[${main}]"

${main}() {
  local known=${commandIdList(commands)} cmdpath="" command="" flag="" word values ret i
  local -a candidates
  # The command: the leading words that name one ("jobs list", or "jobs:list" as one word).
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    [[ "$word" == -* ]] && break
    cmdpath="\${cmdpath:+$cmdpath:}$word"
    [[ "$known" == *" $cmdpath "* ]] && command="$cmdpath"
  done

  if [[ -n "$command" ]]; then
    # A flag's value: "--status <TAB>", "--status=<TAB>", "--status queued,ru<TAB>", "--sort -cr<TAB>".
    if [[ "$PREFIX" == --*=* ]]; then
      flag="\${PREFIX%%=*}"
      compset -P '*='
    else
      flag="\${words[CURRENT-1]}"
    fi
    if [[ "$flag" == -* ]]; then
      values="$(${prefix}_jobs_flag_values "$command $flag")"
      ret=$?
      if ((ret != 1)); then
        ((ret == 2)) && compset -P '*,'
        candidates=(\${(f)values})
        compadd -a candidates
        return
      fi
    fi

    # Job IDs, described, for the commands that take them; none offered twice on a line.
    if [[ "$PREFIX" != -* ]]; then
      values="$(${prefix}_jobs_ids "$command" "\${(@)words[1,CURRENT-1]}" "\${(@)words[CURRENT+1,-1]}")"
      if (($? == 0)); then
        candidates=(\${(f)values})
        _describe -t job-ids 'job ID' candidates
        return
      fi
    fi
  fi

  ${prefix}_jobs_plugin "$@"
}
${END_MARKER}
`
}

/**
 * Puts our function in the plugin's zsh completion file (replacing an earlier one). Does nothing
 * when the plugin has not written one, or when the file does not end with the call to `_<bin>`
 * that both of the plugin's layouts (space or colon topic separator) end with.
 */
export function extendZshCompletion(config: Interfaces.Config): Promise<boolean> {
  const finalCall = `\n_${config.bin}`
  return extendGeneratedScript(zshCompletionPath(config), (base) => {
    if (!base.endsWith(finalCall)) return null
    const definitions = base.slice(0, -finalCall.length).trimEnd()
    return `${definitions}\n\n${zshCompletionExtension(config, completionCommands(config))}${finalCall.slice(1)}\n`
  })
}
