import type {Interfaces} from '@oclif/core'

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {extendZshCompletion, zshCompletionPath} from '../../src/completion/zsh-completion.js'

/** The two layouts the plugin writes: with a space topic separator, and the older one with colons. */
const PLUGIN_SCRIPTS = {
  spaces: (bin: string) =>
    `#compdef ${bin}\n\n_${bin}_jobs() {\n  _values "completions"\n}\n\n_${bin}() {\n  _${bin}_jobs\n}\n\n_${bin}\n`,
  colons: (bin: string) => `#compdef ${bin}\n\n_${bin} () {\n  _arguments -S '1: :_complete_commands'\n}\n\n_${bin}\n`,
}

function fakeConfig(cacheDir: string, bin = 'acme'): Interfaces.Config {
  const commands = [
    {
      id: 'jobs:list',
      hidden: false,
      flags: {
        status: {name: 'status', type: 'option', multiple: true},
        type: {name: 'type', type: 'option', multiple: true},
      },
    },
    {id: 'jobs:status', hidden: false, flags: {}},
    {id: 'jobs:cancel', hidden: false, flags: {}},
  ]
  return {bin, binAliases: [], cacheDir, commands} as unknown as Interfaces.Config
}

/** The plugin's file as `script`, then extended. */
async function generated(config: Interfaces.Config, script: string): Promise<string> {
  const path = zshCompletionPath(config)
  await mkdir(dirname(path), {recursive: true})
  await writeFile(path, script)
  expect(await extendZshCompletion(config)).to.equal(true)
  return readFile(path, 'utf8')
}

describe('completion: the zsh extension of plugin-autocomplete', () => {
  let cacheDir: string

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'cidx-zsh-completion-'))
  })

  afterEach(async () => {
    await rm(cacheDir, {recursive: true, force: true})
  })

  it('does nothing when the plugin has not generated its script, or one it does not recognise', async () => {
    const config = fakeConfig(cacheDir)
    expect(await extendZshCompletion(config)).to.equal(false)
    const path = zshCompletionPath(config)
    expect(path).to.equal(join(cacheDir, 'autocomplete', 'functions', 'zsh', '_acme'))
    await mkdir(dirname(path), {recursive: true})
    await writeFile(path, '#compdef acme\n_acme() { : }\n')
    expect(await extendZshCompletion(config)).to.equal(false)
    expect(await readFile(path, 'utf8')).to.equal('#compdef acme\n_acme() { : }\n')
  })

  for (const [layout, pluginScript] of Object.entries(PLUGIN_SCRIPTS)) {
    it(`takes the place of the plugin's function before the final call (${layout} layout), once however often it runs`, async () => {
      const config = fakeConfig(cacheDir)
      await generated(config, pluginScript('acme'))
      expect(await extendZshCompletion(config)).to.equal(true)
      const script = await readFile(zshCompletionPath(config), 'utf8')
      expect(script.startsWith(pluginScript('acme').replace(/\n_acme\n$/, ''))).to.equal(true)
      expect(script.split('# >>> cidx-jobs completion >>>')).to.have.length(2)
      expect(script).to.include('functions[_acme_jobs_plugin]="$functions[_acme]"')
      // The plugin's own call comes last, once: by then it calls ours.
      expect(script).to.match(/\n# <<< cidx-jobs completion <<<\n_acme\n$/)
      expect(script.match(/^_acme$/gm)).to.have.length(1)
      execFileSync('zsh', ['-n', zshCompletionPath(config)]) // throws on a syntax error
    })
  }

  it('asks the CLI for described IDs, cancellable ones for cancel, and the types seen for --type', async () => {
    const script = await generated(fakeConfig(cacheDir), PLUGIN_SCRIPTS.spaces('acme'))
    expect(script).to.include('jobs:status) command acme jobs:recent-ids --describe -- "$@" 2>/dev/null ;;')
    expect(script).to.include(
      'jobs:cancel) command acme jobs:recent-ids --cancellable --describe -- "$@" 2>/dev/null ;;',
    )
    expect(script).to.include("'jobs:list --type') command acme jobs:recent-ids --types 2>/dev/null; return 2 ;;")
    expect(script).to.include("local known=' jobs:list jobs:status jobs:cancel '")
  })

  it('names its helpers validly for a bin with a dash, and takes the place of the plugin function of that bin', async () => {
    const config = fakeConfig(cacheDir, 'my-cli')
    const script = await generated(config, PLUGIN_SCRIPTS.spaces('my-cli'))
    expect(script).to.include('functions[_my_cli_jobs_plugin]="$functions[_my-cli]"')
    expect(script).to.include('_my-cli() {')
    execFileSync('zsh', ['-n', zshCompletionPath(config)])
  })
})
