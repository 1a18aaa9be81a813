import type {Command, Interfaces} from '@oclif/core'

import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {KNOWN_STATUSES} from '../jobs/job.js'
import {SORT_KEYS} from '../jobs/sort.js'

/**
 * What the bash and the zsh extensions of @oclif/plugin-autocomplete share: which commands take
 * job IDs, which flag values to offer, the shell functions that print them (the same text works
 * in both shells), and the block that is appended to the plugin's generated file and replaced
 * on the next generation.
 */

/** Commands whose arguments are job IDs, and which cached jobs they offer. */
const JOB_ID_COMMANDS: Readonly<Record<string, 'all' | 'cancellable'>> = {
  'jobs:status': 'all',
  'jobs:watch': 'all',
  'jobs:cancel': 'cancellable',
}

/**
 * Values to offer for flags that check their values themselves instead of through oclif's
 * `options` (`--status` accepts any case, `pending`, and `=NAME` for statuses newer than the CLI).
 */
const SUGGESTED_VALUES: Readonly<Record<string, readonly string[]>> = {
  status: [...KNOWN_STATUSES, 'active'],
  sort: SORT_KEYS.flatMap((key) => [key, `-${key}`]),
}

/** Flags whose values are the ones seen before: printed by `jobs:recent-ids` with this flag, from the local cache. */
const CACHED_VALUES: Readonly<Record<string, string>> = {
  type: '--types',
}

const BEGIN_MARKER = '# >>> cidx-jobs completion >>>'
export const END_MARKER = '# <<< cidx-jobs completion <<<'

type CachedFlag = Command.Flag.Cached

export interface CompletionCommand {
  flags: Record<string, CachedFlag>
  id: string
}

/** Where the plugin writes a shell's completion file (its own layout, see create.js of @oclif/plugin-autocomplete). */
export function pluginScriptPath(
  config: Pick<Interfaces.Config, 'cacheDir'>,
  shell: 'bash' | 'zsh',
  file: string,
): string {
  return join(config.cacheDir, 'autocomplete', 'functions', shell, file)
}

/** A word bash and zsh read back literally. */
export function quote(word: string): string {
  return /^[\w.:@%+,/-]+$/.test(word) ? word : `'${word.replaceAll("'", String.raw`'\''`)}'`
}

/** Our function names: the bin with anything but letters, digits and `_` made `_` (a bin may be `my-cli`). */
export function functionPrefix(bin: string): string {
  return `_${bin.replaceAll(/\W/g, '_')}`
}

/** The command IDs completion knows, space-separated with a space at each end (for `*" $id "*` tests). */
export function commandIdList(commands: CompletionCommand[]): string {
  return quote(` ${commands.map((command) => command.id).join(' ')} `)
}

function flagSpellings(flag: CachedFlag): string[] {
  const longs = [flag.name, ...(flag.aliases ?? [])].map((name) => `--${name}`)
  const shorts = [flag.char, ...(flag.charAliases ?? [])].filter((char) => char !== undefined).map((char) => `-${char}`)
  return [...longs, ...shorts]
}

/** The shell code that prints a flag's values: known ones, the ones seen before, or none (`:`). */
function valuesCode(flag: CachedFlag, bin: string): string {
  const cached = CACHED_VALUES[flag.name]
  if (cached) return `command ${quote(bin)} jobs:recent-ids ${cached} 2>/dev/null`
  const options = flag.type === 'option' ? flag.options : undefined
  const known = options ?? SUGGESTED_VALUES[flag.name] ?? []
  return known.length > 0 ? `printf '%s\\n' ${known.map((value) => quote(value)).join(' ')}` : ':'
}

/** One `case` pattern per command and spelling of a flag that takes a value; it prints the values it accepts, if known. */
function flagValueCases(commands: CompletionCommand[], bin: string): string[] {
  const cases: string[] = []
  for (const command of commands) {
    for (const flag of Object.values(command.flags)) {
      if (flag.type !== 'option' || flag.hidden) continue
      const patterns = flagSpellings(flag).map((spelling) => quote(`${command.id} ${spelling}`))
      // Our list flags take "a,b" whether or not oclif splits them (list-query.ts splits them itself).
      const comma = flag.multiple ? '; return 2' : ''
      cases.push(`    ${patterns.join('|')}) ${valuesCode(flag, bin)}${comma} ;;`)
    }
  }

  return cases
}

/**
 * `<prefix>_jobs_flag_values "<command id> <flag>"` prints the flag's values; returns 1 when the
 * flag takes no value, 2 when it takes a comma-separated list.
 */
function flagValuesFunction(prefix: string, commands: CompletionCommand[], bin: string): string {
  return `# "$1" is "<command id> <flag>". Prints the flag's values; returns 1 when the flag takes no value,
# 2 when it takes a comma-separated list.
${prefix}_jobs_flag_values() {
  case "$1" in
${flagValueCases(commands, bin).join('\n')}
    *) return 1 ;;
  esac
}`
}

/**
 * `<prefix>_jobs_ids <command id> <words on the line>...` prints the cached job IDs the command
 * takes (`listing` is the form, e.g. ` --describe`), leaving out the words given; returns 1 for a
 * command that takes no job IDs.
 */
function jobIdsFunction(prefix: string, commands: CompletionCommand[], bin: string, listing = ''): string {
  const cases = commands
    .filter((command) => JOB_ID_COMMANDS[command.id] !== undefined)
    .map((command) => {
      const filter = JOB_ID_COMMANDS[command.id] === 'cancellable' ? ' --cancellable' : ''
      return `    ${quote(command.id)}) command ${quote(bin)} jobs:recent-ids${filter}${listing} -- "$@" 2>/dev/null ;;`
    })
  return `# "$1" is the command id, the other arguments the words on the line: IDs among them are not offered again.
${prefix}_jobs_ids() {
  local command="$1"
  shift
  case "$command" in
${cases.join('\n')}
    *) return 1 ;;
  esac
}`
}

/**
 * How our block starts in both shells: the marker, what the block is, and the functions that print
 * flag values and job IDs (`listing` as for jobIdsFunction).
 */
export function extensionHead(bin: string, commands: CompletionCommand[], listing = ''): string {
  const prefix = functionPrefix(bin)
  return `${BEGIN_MARKER}
# Added by cidx-jobs: flag values and job IDs (from the local cache; never the network), then the
# plugin's completion for command and flag names. Regenerated by \`${bin} autocomplete --refresh-cache\`.
${flagValuesFunction(prefix, commands, bin)}

${jobIdsFunction(prefix, commands, bin, listing)}`
}

/** Visible commands with their flags, as completion sees them (the plugin skips hidden ones too). */
export function completionCommands(config: Interfaces.Config): CompletionCommand[] {
  return config.commands
    .filter((command) => !command.hidden)
    .map((command) => ({id: command.id, flags: command.flags as Record<string, CachedFlag>}))
}

function withoutExtension(script: string): string {
  const begin = script.indexOf(BEGIN_MARKER)
  const end = script.indexOf(END_MARKER)
  if (begin === -1 || end === -1) return script
  return script.slice(0, begin) + script.slice(end + END_MARKER.length + 1)
}

/**
 * Rewrites the plugin's generated file at `path` as `extend` makes it from the file without our
 * block (our block replaced, never added twice). False, file untouched, when the plugin has not
 * written one (autocomplete not set up, or a host CLI without the plugin) or `extend` does not
 * recognise it (null).
 */
export async function extendGeneratedScript(path: string, extend: (base: string) => null | string): Promise<boolean> {
  let script: string
  try {
    script = await readFile(path, 'utf8')
  } catch {
    return false
  }

  const extended = extend(withoutExtension(script).trimEnd())
  if (extended === null) return false
  await writeFile(path, extended)
  return true
}
