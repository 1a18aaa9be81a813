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
  quote,
} from './shell-script.js'

/**
 * Bash completion beyond command and flag names. @oclif/plugin-autocomplete generates
 * `<cacheDir>/autocomplete/functions/bash/<bin>.bash` with a function `_<bin>_autocomplete` that
 * completes command and flag names only. After the plugin has written that file (our postrun
 * hook), we append a function that completes flag values (`--status <TAB>`, from the flags'
 * `options`) and job IDs (`jobs status <TAB>`, from the local cache through the hidden
 * `jobs:recent-ids` command, so a TAB never waits on the network), and hands everything else to
 * the plugin's function. Regenerated with the plugin's file, so it always matches the commands.
 */

/** The file the plugin generates. */
export function bashCompletionPath(config: Pick<Interfaces.Config, 'bin' | 'cacheDir'>): string {
  return pluginScriptPath(config, 'bash', `${config.bin}.bash`)
}

/** The bash code appended to the plugin's file, between markers so that it can be replaced. */
export function bashCompletionExtension(
  config: Pick<Interfaces.Config, 'bin' | 'binAliases'>,
  commands: CompletionCommand[],
): string {
  const prefix = functionPrefix(config.bin)
  const bins = [config.bin, ...(config.binAliases ?? [])].map((bin) => quote(bin)).join(' ')
  return `${extensionHead(config.bin, commands)}

# Sets COMPREPLY to "$1" before each line of "$3" that starts with "$2". The words are compared
# and copied, never evaluated: compgen -W would expand a $(...), a backtick or a glob in them,
# and job IDs come from a server (the cache keeps only safe ones too, see id-cache.ts).
${prefix}_jobs_reply() {
  local head="$1" cur="$2" candidate
  COMPREPLY=()
  while IFS= read -r candidate; do
    if [[ -n "$candidate" && "$candidate" == "$cur"* ]]; then COMPREPLY+=("$head$candidate"); fi
  done <<< "$3"
}

${prefix}_jobs_autocomplete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" command="" flag="" word values status head="" i
  local commands=${commandIdList(commands)}
  local -a names
  # The command: the leading words that name one ("jobs list"; bash splits "jobs:list" at the colon).
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && break
    [[ "$word" == ":" ]] && continue
    path="\${path:+$path:}$word"
    [[ "$commands" == *" $path "* ]] && command="$path"
  done

  # A flag's value: "--status <TAB>", "--status=<TAB>" (bash splits at "="), "--status queued,ru<TAB>".
  if [[ -n "$command" ]]; then
    if [[ "$cur" == "=" ]]; then
      cur="" flag="\${COMP_WORDS[COMP_CWORD-1]}"
    elif [[ "\${COMP_WORDS[COMP_CWORD-1]}" == "=" ]]; then
      flag="\${COMP_WORDS[COMP_CWORD-2]}"
    else
      flag="\${COMP_WORDS[COMP_CWORD-1]}"
    fi
    if [[ "$flag" == -* ]]; then
      values="$(${prefix}_jobs_flag_values "$command $flag")"
      status=$?
      if ((status != 1)); then
        ((status == 2)) && [[ "$cur" == *,* ]] && head="\${cur%,*},"
        ${prefix}_jobs_reply "$head" "\${cur#"$head"}" "$values"
        return 0
      fi
    fi

    # Job IDs for the commands that take them.
    if [[ "$cur" != -* ]]; then
      values="$(${prefix}_jobs_ids "$command" "\${COMP_WORDS[@]:0:COMP_CWORD}" "\${COMP_WORDS[@]:COMP_CWORD+1}")"
      if (($? == 0)); then
        ${prefix}_jobs_reply "" "$cur" "$values"
        return 0
      fi
    fi

    # Flag names: the plugin only finds them right after the command, so show it just that.
    if [[ "$cur" == -* ]]; then
      IFS=: read -r -a names <<< "$command"
      local -a COMP_WORDS=("\${COMP_WORDS[0]}" "\${names[@]}" "$cur")
      local COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
    fi
  fi

  _${config.bin}_autocomplete "$@"
}

complete -F ${prefix}_jobs_autocomplete ${bins}
${END_MARKER}
`
}

/**
 * Appends (or replaces) our extension in the plugin's bash completion file. Does nothing when the
 * plugin has not written one (autocomplete not set up, or a host CLI without the plugin).
 */
export function extendBashCompletion(config: Interfaces.Config): Promise<boolean> {
  return extendGeneratedScript(
    bashCompletionPath(config),
    (base) => `${base}\n\n${bashCompletionExtension(config, completionCommands(config))}`,
  )
}
