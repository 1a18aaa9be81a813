import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join, normalize} from 'node:path'

import {COMMANDS_DOC, exitCodesMarkdown, withExitCodes} from '../../scripts/readme.js'
import {ROOT, run} from '../ecosystem/support.js'
import {documentationFiles, headingAnchors, relativeLinks} from '../helpers/markdown.js'

/** The part of a file that `oclif readme` owns: from the line `<!-- commands -->` to `<!-- commandsstop -->`. */
function commandReference(markdown: string): null | string {
  return /^<!-- commands -->$[\s\S]*^<!-- commandsstop -->$/m.exec(markdown)?.[0] ?? null
}

/** The exit-code table `npm run readme` writes from src/exit-codes.ts. */
function exitCodeTable(readme: string): string {
  const match = /^<!-- exitcodes -->$[\s\S]*?^<!-- exitcodesstop -->$/m.exec(readme)
  expect(match, 'the README has the <!-- exitcodes --> markers').not.to.equal(null)
  return match![0]
}

const readText = (path: string) => readFile(join(ROOT, path), 'utf8')

describe('scripts/readme: the generated documentation', function () {
  this.timeout(120_000)

  it('docs/commands.md has the command reference `npm run readme` generates from the current commands', async () => {
    const generated = await run('npm', ['run', '--silent', 'readme', '--', '--dry-run'])
    expect(generated.code, generated.stderr).to.equal(0)
    const current = await readText(COMMANDS_DOC)
    const reference = commandReference(current)
    expect(reference, `${COMMANDS_DOC} has the <!-- commands --> markers`).not.to.equal(null)
    expect(reference, `${COMMANDS_DOC} is out of date: run \`npm run readme\``).to.equal(
      commandReference(generated.stdout),
    )
    for (const command of [
      'jobs list',
      'jobs status JOB_ID',
      'jobs watch',
      'jobs cancel',
      'login',
      'autocomplete [SHELL]',
    ]) {
      expect(reference).to.include(`## \`cidx ${command}`)
    }
  })

  it('keeps the README short: the command reference is not in it', async () => {
    const readme = await readText('README.md')
    expect(commandReference(readme)).to.equal(null)
    expect(readme).to.include('](docs/commands.md)')
  })

  it('has the exit-code table of src/exit-codes.ts in the README, one row a code', async () => {
    const readme = await readText('README.md')
    expect(exitCodeTable(readme), 'README.md is out of date: run `npm run readme`').to.equal(exitCodesMarkdown())
    expect(exitCodeTable(readme)).to.include('| 0 | success |')
    expect(exitCodeTable(readme)).to.match(/^\| 124 \| waiting timed out/m)
    expect(withExitCodes(readme)).to.equal(readme)
    expect(() => withExitCodes('# no table here\n')).to.throw(/<!-- exitcodes -->/)
  })

  it('tells how to run it from a checkout, install it as a plugin and set up completion', async () => {
    const readme = await readText('README.md')
    expect(readme).to.match(/^## Quick start$/m)
    for (const step of ['npm ci', 'npm start', 'npm link', './bin/run.js jobs list']) expect(readme).to.include(step)
    expect(readme).to.match(/^## Install as a plugin$/m)
    for (const step of ['npm pack', 'plugins install "file:$PWD/cidx-jobs-0.1.0.tgz"', 'plugins link .'])
      expect(readme).to.include(step)
    expect(readme, 'the registry route, as it will be after publishing').to.include('plugins install cidx-jobs')
    expect(readme).to.match(/^## Shell completion$/m)
    expect(readme).to.include('cidx autocomplete script bash')
  })

  it('links only to files and headings that exist in the repository', async () => {
    const files = await documentationFiles(ROOT)
    const anchors = new Map(files.map((file) => [file.path, headingAnchors(file.text)]))
    const broken: string[] = []
    for (const file of files) {
      for (const link of relativeLinks(file.text)) {
        const [target, anchor] = link.split('#')
        const path = target ? normalize(join(dirname(file.path), target)) : file.path
        if (path.startsWith('..') || !existsSync(join(ROOT, path))) broken.push(`${file.path}: ${link} (no such file)`)
        else if (anchor && path.endsWith('.md')) {
          const headings = anchors.get(path) ?? headingAnchors(await readText(path))
          if (!headings.has(anchor)) broken.push(`${file.path}: ${link} (no such heading)`)
        }
      }
    }

    expect(broken).to.deep.equal([])
  })

  it('speaks of the repository alone: the wire contract is its own (docs/wire-contract.md)', async () => {
    for (const file of await documentationFiles(ROOT)) {
      expect(file.text, file.path).not.to.match(/\.\.\/shared|cidx-api\.md/)
    }

    expect(await readText('server/README.md')).to.include('](../docs/wire-contract.md)')
  })
})
