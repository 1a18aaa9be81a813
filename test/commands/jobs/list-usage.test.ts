import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {lines, useCliSession} from '../../helpers/cli-session.js'

const ROOT = new URL('../../..', import.meta.url).pathname

describe('commands: jobs list (usage and configuration errors)', () => {
  useCliSession()

  const usageCases: [string, string[], RegExp | string][] = [
    [
      'an unknown status',
      ['--status', 'runing'],
      /^Error: Unknown status "runing"\. Valid: queued, [^\n]*\nFor a status this CLI does not know yet, write --status =runing\.$/,
    ],
    ['an unknown sort key', ['--sort', 'age'], /^Error: Unknown sort key "age"/],
    ['a bad --since', ['--since', 'lately'], /^Error: --since must be a duration such as 500ms, 90s/],
    ['an empty time range', ['--since', '1h', '--until', '2h'], /^Error: --since \(.*\) is after --until/],
    ['--limit 0', ['--limit', '0'], 'Error: --limit must be an integer of at least 1 (got 0).'],
    ['--limit -3', ['--limit', '-3'], 'Error: --limit must be an integer of at least 1 (got -3).'],
    ['--limit abc', ['--limit', 'abc'], 'Error: --limit must be an integer of at least 1 (got abc).'],
    ['--offset -1', ['--offset', '-1'], 'Error: --offset must be an integer of at least 0 (got -1).'],
    ['-q with --json', ['-q', '--json'], '-q and --json cannot be used together'],
    ['--quiet with --json', ['--json', '--quiet'], '--quiet and --json cannot be used together'],
    [
      'an unknown flag',
      ['--stauts', 'failed'],
      'Error: Unknown flag --stauts.\nDid you mean --status? See cidx jobs list --help for usage.',
    ],
  ]

  for (const [what, flags, message] of usageCases) {
    it(`exits 2 for ${what} with the reason (the hint on its own line), before any configuration or request`, async () => {
      const {stdout, stderr, error} = await runCommand(['jobs', 'list', ...flags], {root: ROOT})
      expect(error?.oclif?.exit).to.equal(2)
      if (flags.includes('--json')) {
        expect(JSON.parse(stdout).error).to.deep.equal({
          kind: 'usage',
          message,
          hint: 'See cidx jobs list --help for usage.',
          exit_code: 2,
        })
      } else {
        expect(stdout).to.equal('')
        expect(lines(stderr).length).to.be.within(1, 2)
        if (typeof message === 'string') expect(stderr.trim()).to.equal(message)
        else expect(stderr.trim()).to.match(message)
      }
    })
  }

  it('exits 3 with the message and, on the next line, what to do when nothing is configured', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(3)
    expect(stdout).to.equal('')
    expect(lines(stderr)).to.deep.equal([
      'Error: No CIDX server configured.',
      'Run `cidx login --server URL`, or set CIDX_SERVER_URL with CIDX_TOKEN (or CIDX_USERNAME and CIDX_PASSWORD), or run inside a cidx project (.code-indexer/).',
    ])
  })
})
