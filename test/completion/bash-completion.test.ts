import type {Interfaces} from '@oclif/core'

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {bashCompletionPath, extendBashCompletion} from '../../src/completion/bash-completion.js'

const PLUGIN_SCRIPT =
  '#!/usr/bin/env bash\n_acme_autocomplete() { COMPREPLY=(from-plugin); }\ncomplete -F _acme_autocomplete acme\n'

function fakeConfig(cacheDir: string, bin = 'acme'): Interfaces.Config {
  const commands = [
    {
      id: 'jobs:list',
      hidden: false,
      flags: {
        status: {name: 'status', type: 'option', multiple: true},
        format: {name: 'format', type: 'option', char: 'f', options: ['table', "it's"]},
        all: {name: 'all', type: 'boolean'},
        secret: {name: 'secret', type: 'option', hidden: true, options: ['x']},
      },
    },
    {id: 'jobs:cancel', hidden: false, flags: {}},
    {id: 'jobs:internal', hidden: true, flags: {}},
  ]
  return {bin, binAliases: ['ac'], cacheDir, commands} as unknown as Interfaces.Config
}

describe('completion: the bash extension of plugin-autocomplete', () => {
  let cacheDir: string

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'cidx-completion-'))
  })

  afterEach(async () => {
    await rm(cacheDir, {recursive: true, force: true})
  })

  it('does nothing when the plugin has not generated its script', async () => {
    expect(await extendBashCompletion(fakeConfig(cacheDir))).to.equal(false)
  })

  it('appends once, after the plugin function, and replaces itself on the next generation', async () => {
    const config = fakeConfig(cacheDir)
    const path = bashCompletionPath(config)
    expect(path).to.equal(join(cacheDir, 'autocomplete', 'functions', 'bash', 'acme.bash'))
    await mkdir(dirname(path), {recursive: true})
    await writeFile(path, PLUGIN_SCRIPT)
    expect(await extendBashCompletion(config)).to.equal(true)
    expect(await extendBashCompletion(config)).to.equal(true)
    const script = await readFile(path, 'utf8')
    expect(script.startsWith(PLUGIN_SCRIPT.trimEnd())).to.equal(true)
    expect(script.split('# >>> cidx-jobs completion >>>')).to.have.length(2)
    expect(script).to.include('complete -F _acme_jobs_autocomplete acme ac')
    expect(script).to.include('_acme_autocomplete "$@"')
    execFileSync('bash', ['-n', path]) // throws on a syntax error
  })

  it('names its functions validly for a bin with a dash, and still calls the plugin function by the bin', async () => {
    const config = fakeConfig(cacheDir, 'my-cli')
    await mkdir(dirname(bashCompletionPath(config)), {recursive: true})
    await writeFile(bashCompletionPath(config), PLUGIN_SCRIPT.replaceAll('acme', 'my-cli'))
    await extendBashCompletion(config)
    const script = await readFile(bashCompletionPath(config), 'utf8')
    expect(script).to.include('complete -F _my_cli_jobs_autocomplete my-cli ac')
    expect(script).to.include('_my-cli_autocomplete "$@"')
    execFileSync('bash', ['-n', bashCompletionPath(config)])
  })

  it('knows the flags that take values, their values, and the commands that take job IDs', async () => {
    const config = fakeConfig(cacheDir)
    await mkdir(dirname(bashCompletionPath(config)), {recursive: true})
    await writeFile(bashCompletionPath(config), PLUGIN_SCRIPT)
    await extendBashCompletion(config)
    // A stand-in for the CLI that says how the completion called it.
    await writeFile(join(cacheDir, 'acme'), '#!/bin/sh\necho "called with: $*"\n', {mode: 0o755})
    const script = `source ${bashCompletionPath(config)}
for key in 'jobs:list --status' 'jobs:list -f' 'jobs:list --format' 'jobs:list --all' 'jobs:list --secret'; do
  values="$(_acme_jobs_flag_values "$key")"; status=$?
  echo "$key => $status [\${values//$'\\n'/ }]"
done
echo "cancel => $(_acme_jobs_ids jobs:cancel)"
echo "cancel on a line => $(_acme_jobs_ids jobs:cancel acme jobs cancel 'a b')"
echo "list => $(_acme_jobs_ids jobs:list)"`
    const output = execFileSync('bash', ['--norc', '-c', script], {
      env: {PATH: `${cacheDir}:${process.env.PATH}`},
    }).toString()
    expect(output).to.match(/^jobs:list --status => 2 \[queued running .* active\]$/m)
    expect(output).to.include("jobs:list -f => 0 [table it's]")
    expect(output).to.include("jobs:list --format => 0 [table it's]")
    expect(output).to.include('jobs:list --all => 1 []')
    expect(output).to.include('jobs:list --secret => 1 []')
    expect(output).to.include('cancel => called with: jobs:recent-ids --cancellable --')
    expect(output).to.include('cancel on a line => called with: jobs:recent-ids --cancellable -- acme jobs cancel a b')
    expect(output).to.include('list => \n')
    expect(await readFile(bashCompletionPath(config), 'utf8')).to.include("local commands=' jobs:list jobs:cancel '")
  })
})

/** Words a shell runs or expands when it evaluates them; `ok-1` is an ordinary one. */
const hostile = (at: string) => [
  `$(touch\${IFS}${at}/pwned-1)`,
  `\`touch\${IFS}${at}/pwned-2\``,
  '*',
  `;touch\${IFS}${at}/pwned-3`,
  `\${PWNED:=x}`,
  'ok-1',
]

describe('completion: the bash extension never evaluates a candidate', () => {
  let dir: string
  let output: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cidx-completion-hostile-'))
    const cacheDir = join(dir, 'cache')
    const config = {
      bin: 'acme',
      cacheDir,
      commands: [
        {id: 'jobs:list', hidden: false, flags: {format: {name: 'format', type: 'option', options: hostile(dir)}}},
        {id: 'jobs:cancel', hidden: false, flags: {}},
      ],
    } as unknown as Interfaces.Config
    await mkdir(dirname(bashCompletionPath(config)), {recursive: true})
    await writeFile(bashCompletionPath(config), PLUGIN_SCRIPT)
    await extendBashCompletion(config)
    // A stand-in CLI whose recent-ids prints what no cache would keep: the script's own defence alone.
    await mkdir(join(dir, 'bin'))
    await writeFile(join(dir, 'bin', 'acme'), `#!/bin/sh\ncat <<'EOF'\n${hostile(dir).join('\n')}\nEOF\n`, {
      mode: 0o755,
    })
    // What a glob in the working directory would turn into.
    await writeFile(join(dir, 'glob-would-list-me'), '')
    const script = `source ${bashCompletionPath(config)}
complete_words() {
  COMP_WORDS=("$@") COMP_CWORD=$(($# - 1)) COMPREPLY=()
  _acme_jobs_autocomplete acme
  printf '>>> %s\\n' "$*"
  printf '%s\\n' "\${COMPREPLY[@]}"
}
complete_words acme jobs cancel ''
complete_words acme jobs cancel '$('
complete_words acme jobs cancel '*'
complete_words acme jobs list --format ''
complete_words acme jobs list --format '\`'`
    output = execFileSync('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: dir,
      env: {PATH: `${join(dir, 'bin')}:${process.env.PATH}`},
    }).toString()
  })

  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  function offered(line: string): string[] {
    const block = output.split('>>> ').find((part) => part.startsWith(`${line}\n`))
    expect(block, `no completion of "${line}" in:\n${output}`).not.to.equal(undefined)
    return block!.split('\n').slice(1, -1)
  }

  it('offers the words literally: no command substitution, no variable, no glob', async () => {
    expect(offered('acme jobs cancel ')).to.deep.equal(hostile(dir))
    expect(offered('acme jobs list --format ')).to.deep.equal(hostile(dir))
    expect(await readdir(dir)).to.have.members(['bin', 'cache', 'glob-would-list-me'])
  })

  it('matches the typed prefix literally', () => {
    expect(offered('acme jobs cancel $(')).to.deep.equal([hostile(dir)[0]])
    expect(offered('acme jobs cancel *')).to.deep.equal(['*'])
    expect(offered('acme jobs list --format `')).to.deep.equal([hostile(dir)[1]])
  })
})
