import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'

import {exitCodesMarkdown} from '../../scripts/readme.js'
import {ROOT, run} from './support.js'

/** The part of a README that `oclif readme` owns: from the line `<!-- commands -->` to `<!-- commandsstop -->`. */
function commandReference(readme: string): string {
  const match = /^<!-- commands -->$[\s\S]*^<!-- commandsstop -->$/m.exec(readme)
  expect(match, 'the README has the <!-- commands --> markers').not.to.equal(null)
  return match![0]
}

/** The exit-code table `npm run readme` writes from src/exit-codes.ts. */
function exitCodeTable(readme: string): string {
  const match = /^<!-- exitcodes -->$[\s\S]*?^<!-- exitcodesstop -->$/m.exec(readme)
  expect(match, 'the README has the <!-- exitcodes --> markers').not.to.equal(null)
  return match![0]
}

describe('ecosystem: README', function () {
  this.timeout(120_000)

  it('has the command reference `npm run readme` generates from the current commands', async () => {
    const generated = await run('npm', ['run', '--silent', 'readme', '--', '--dry-run'])
    expect(generated.code, generated.stderr).to.equal(0)
    const current = await readFile(join(ROOT, 'README.md'), 'utf8')
    expect(commandReference(current), 'README.md is out of date: run `npm run readme`').to.equal(
      commandReference(generated.stdout),
    )
    expect(exitCodeTable(current), 'README.md is out of date: run `npm run readme`').to.equal(
      exitCodeTable(generated.stdout),
    )
    for (const command of ['jobs list', 'jobs status JOB_ID', 'jobs watch', 'jobs cancel', 'autocomplete [SHELL]']) {
      expect(current).to.include(`## \`cidx ${command}`)
    }
  })

  it('has the exit-code table of src/exit-codes.ts, one row a code', async () => {
    const table = exitCodeTable(await readFile(join(ROOT, 'README.md'), 'utf8'))
    expect(table).to.equal(exitCodesMarkdown())
    expect(table).to.include('| 0 | success |')
    expect(table).to.match(/^\| 124 \| waiting timed out/m)
  })

  it('tells how to install the commands as a plugin and how to set up completion', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8')
    expect(readme).to.match(/^## Install as a plugin$/m)
    expect(readme).to.include('plugins install cidx-jobs')
    expect(readme).to.match(/^## Shell completion$/m)
    expect(readme).to.include('cidx autocomplete script bash')
  })
})
