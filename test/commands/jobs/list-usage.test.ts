import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {lines, useCliSession} from '../../helpers/cli-session.js'

const ROOT = new URL('../../..', import.meta.url).pathname

describe('commands: jobs list (usage and configuration errors)', () => {
  useCliSession()

  const usageCases: [string, string[], RegExp][] = [
    [
      'an unknown status',
      ['--status', 'runing'],
      /^Error: Unknown status "runing"\. Valid: queued, .* write --status =runing\.$/,
    ],
    ['an unknown sort key', ['--sort', 'age'], /^Error: Unknown sort key "age"/],
    ['a bad --since', ['--since', 'lately'], /^Error: --since must be a duration such as 90s/],
    ['an empty time range', ['--since', '1h', '--until', '2h'], /^Error: --since \(.*\) is after --until/],
    ['--limit 0', ['--limit', '0'], /^Error: .*limit.*See --help for usage\.$/],
    ['--quiet with --json', ['-q', '--json'], /--json|--quiet/],
    ['an unknown flag', ['--colour'], /^Error: .*--colour.*See --help for usage\.$/],
  ]

  for (const [what, flags, message] of usageCases) {
    it(`exits 2 with one line for ${what}, before any configuration or request`, async () => {
      const {stdout, stderr, error} = await runCommand(['jobs', 'list', ...flags], {root: ROOT})
      expect(error?.oclif?.exit).to.equal(2)
      if (flags.includes('--json')) {
        expect(JSON.parse(stdout).error).to.include({kind: 'usage', exit_code: 2})
      } else {
        expect(stdout).to.equal('')
        expect(lines(stderr)).to.have.length(1)
        expect(stderr.trim()).to.match(message)
      }
    })
  }

  it('exits 3 with one line when nothing is configured', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(3)
    expect(stdout).to.equal('')
    expect(lines(stderr)).to.have.length(1)
    expect(stderr).to.match(/^Error: .*(login|CIDX_SERVER_URL)/)
  })
})
