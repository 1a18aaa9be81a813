import {type Command, Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {documentationFiles, exampleCommandLines} from '../helpers/markdown.js'
import {ROOT} from './support.js'

/**
 * `--help` of every cidx command shows examples, and every example, there and in the README and
 * docs/, is a command line the CLI accepts: each invocation of the bin in it (also after `|`, `&&`,
 * in `$(...)`, after `xargs`) goes through that command's own flag and argument parser. Parsing
 * runs nothing: no config, no network.
 */

type Example = string | {command: string; description: string}

/** Splits a shell line into simple commands (at | || && ;), each a list of words; `$(...)` becomes a word and a command of its own. */
function shellCommands(line: string): string[][] {
  const commands: string[][] = []
  let words: string[] = []
  let word: string | undefined
  let quote: "'" | '"' | undefined
  const endWord = () => {
    if (word !== undefined) words.push(word)
    word = undefined
  }

  const endCommand = () => {
    endWord()
    if (words.length > 0) commands.push(words)
    words = []
  }

  for (let index = 0; index < line.length; index++) {
    const char = line[index]
    if (quote) {
      if (char === quote) quote = undefined
      else word = (word ?? '') + char
    } else if (char === '"' || char === "'") {
      quote = char
      word ??= ''
    } else if (char === '$' && line[index + 1] === '(') {
      const close = line.indexOf(')', index)
      commands.push(...shellCommands(line.slice(index + 2, close)))
      word = (word ?? '') + 'substituted'
      index = close
    } else if (char === ' ') {
      endWord()
    } else if (char === '|' || char === ';' || (char === '&' && line[index + 1] === '&')) {
      if (line[index + 1] === char) index++
      endCommand()
    } else {
      word = (word ?? '') + char
    }
  }

  endCommand()
  return commands
}

function render(template: string, config: Config, command: Command.Loadable): string {
  return template
    .replaceAll(/<%=\s*config\.bin\s*%>/g, config.bin)
    .replaceAll(/<%=\s*command\.id\s*%>/g, command.id.replaceAll(':', config.topicSeparator))
}

/** The command a bin's words name ("jobs list ..." or "jobs:list ...") and the argv after it. */
function resolveInvocation(config: Config, words: string[]): undefined | {argv: string[]; command: Command.Loadable} {
  for (let {length} = words; length > 0; length--) {
    const command = config.findCommand(words.slice(0, length).join(':'))
    if (command) return {command, argv: words.slice(length)}
  }

  return undefined
}

async function parseWithCommand(config: Config, command: Command.Loadable, argv: string[]): Promise<void> {
  const CommandClass = await command.load()
  // The loaded classes are concrete commands; the type only says Command.Class.
  const Concrete = CommandClass as unknown as new (
    argv: string[],
    config: Config,
  ) => {parse(options: object, argv: string[]): Promise<unknown>}
  const instance = new Concrete(argv, config)
  await instance.parse(
    {
      args: CommandClass.args,
      baseFlags: CommandClass.baseFlags,
      enableJsonFlag: CommandClass.enableJsonFlag,
      flags: CommandClass.flags,
      strict: CommandClass.strict,
    },
    argv,
  )
}

const BIN_FLAGS = new Set(['--help', '--version'])

/** Why the cidx invocations of one command line do not parse; empty when they all do. */
async function invocationProblems(config: Config, line: string): Promise<string[]> {
  const problems: string[] = []
  for (const words of shellCommands(line).filter((command) => command.includes(config.bin))) {
    const argv = words.slice(words.indexOf(config.bin) + 1)
    // The bin's own flags, which oclif answers before looking for a command.
    if (argv.length === 1 && BIN_FLAGS.has(argv[0])) continue
    const resolved = resolveInvocation(config, argv)
    if (!resolved) {
      problems.push(`"${line}" names no command`)
      continue
    }

    try {
      await parseWithCommand(config, resolved.command, resolved.argv)
    } catch (error) {
      problems.push(`"${line}": ${(error as Error).message.split('\n')[0]}`)
    }
  }

  return problems
}

describe('ecosystem: help examples that work', function () {
  this.timeout(60_000)
  let config: Config
  let commands: Command.Loadable[]

  before(async () => {
    // Like @oclif/test: NODE_ENV=test lets oclif load the commands from src/ (through tsx).
    const nodeEnv = process.env.NODE_ENV
    process.env.NODE_ENV = 'test'
    try {
      config = await Config.load({root: ROOT})
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV
      else process.env.NODE_ENV = nodeEnv
    }

    commands = config.commands.filter((command) => command.pluginName === config.name)
  })

  it('finds the cidx commands', () => {
    expect(commands.map((command) => command.id)).to.include.members([
      'jobs:list',
      'jobs:status',
      'jobs:watch',
      'jobs:cancel',
      'login',
      'logout',
      'whoami',
    ])
  })

  it('splits example lines the way a shell does', () => {
    expect(shellCommands(`cidx jobs list --status queued -q | xargs cidx jobs cancel --yes`)).to.deep.equal([
      ['cidx', 'jobs', 'list', '--status', 'queued', '-q'],
      ['xargs', 'cidx', 'jobs', 'cancel', '--yes'],
    ])
    expect(
      shellCommands(`cidx jobs list --json | jq -r '.[] | [.job_id] | @tsv' && cidx jobs cancel $(cidx jobs list -q)`),
    ).to.deep.equal([
      ['cidx', 'jobs', 'list', '--json'],
      ['jq', '-r', '.[] | [.job_id] | @tsv'],
      ['cidx', 'jobs', 'list', '-q'],
      ['cidx', 'jobs', 'cancel', 'substituted'],
    ])
  })

  it('shows EXAMPLES in the --help of every command', async () => {
    for (const command of commands) {
      const {stdout, error} = await runCommand([...command.id.split(':'), '--help'], {root: ROOT})
      expect(error, command.id).to.equal(undefined)
      expect(stdout, `${command.id} --help`).to.match(/^EXAMPLES$/m)
      expect(command.examples?.length ?? 0, command.id).to.be.greaterThan(0)
    }
  })

  it('refuses what a command does not accept (the check below can fail)', async () => {
    const list = config.findCommand('jobs:list')!
    const refused = (argv: string[]) =>
      parseWithCommand(config, list, argv).then(
        () => 'accepted',
        (error: Error) => error.message,
      )
    expect(await refused(['--no-such-flag'])).to.match(/Nonexistent flag/)
    expect(await refused(['--limit', 'many'])).to.match(/--limit must be an integer of at least 1/)
    expect(await refused(['--status', 'queued'])).to.equal('accepted')
  })

  it('accepts every example: each cidx invocation in it parses with its command', async () => {
    const failures: string[] = []
    let checked = 0
    for (const command of commands) {
      for (const example of (command.examples ?? []) as Example[]) {
        const line = render(typeof example === 'string' ? example : example.command, config, command)
        expect(line, `${command.id}: an example template the test cannot render`).not.to.include('<%')
        if (!shellCommands(line).some((words) => words.includes(config.bin)))
          failures.push(`${command.id}: "${line}" does not run ${config.bin}`)
        failures.push(...(await invocationProblems(config, line)).map((problem) => `${command.id}: ${problem}`))
        checked++
      }
    }

    expect(failures).to.deep.equal([])
    expect(checked).to.be.greaterThan(commands.length)
  })

  it('accepts every cidx command line of the README and docs/', async () => {
    const failures: string[] = []
    let checked = 0
    for (const file of await documentationFiles(ROOT)) {
      for (const line of exampleCommandLines(file.text)) {
        if (!shellCommands(line).some((words) => words.includes(config.bin))) continue
        failures.push(...(await invocationProblems(config, line)).map((problem) => `${file.path}: ${problem}`))
        checked++
      }
    }

    expect(failures).to.deep.equal([])
    // The README alone shows some 30 of them.
    expect(checked).to.be.greaterThan(30)
  })
})
