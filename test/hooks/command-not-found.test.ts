import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {useCliSession} from '../helpers/cli-session.js'

const ROOT = new URL('../..', import.meta.url).pathname

describe('hooks: a mistyped command', () => {
  useCliSession()

  it('is a usage error (exit 2) in the style of every other, with the nearest command', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'lst'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stdout).to.equal('')
    expect(stderr).to.equal('Error: There is no command cidx jobs lst.\nDid you mean cidx jobs list?\n')
  })

  it('words after a command that takes no arguments are unexpected arguments of that command', async () => {
    const {stderr, error} = await runCommand(['jobs', 'list', 'extra', 'words'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.equal('Error: Unexpected arguments: extra words.\nSee cidx jobs list --help for usage.\n')
  })

  it('points at --help when nothing is near', async () => {
    const {stderr, error} = await runCommand(['frobnicate'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.equal('Error: There is no command cidx frobnicate.\nSee cidx --help for the commands.\n')
  })

  it('is a JSON error under --json, message and hint apart', async () => {
    const {stdout, error} = await runCommand(['jobs', 'stauts', '--json'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(JSON.parse(stdout)).to.deep.equal({
      error: {
        kind: 'usage',
        message: 'There is no command cidx jobs stauts',
        hint: 'Did you mean cidx jobs status?',
        exit_code: 2,
      },
    })
  })
})
