import {captureOutput, runCommand} from '@oclif/test'
import {expect} from 'chai'

import {BaseCommand} from '../src/base-command.js'
import {duration, durationOf, integer, sort, status, WrittenValue} from '../src/flags.js'

const ROOT = new URL('..', import.meta.url).pathname

/** A command with every shared flag; run() hands back what the parser made of them. */
class FlagProbe extends BaseCommand<typeof FlagProbe> {
  static override flags = {
    timeout: duration({description: 'a duration without default'}),
    interval: duration({
      description: 'a duration with a default and a minimum',
      default: durationOf('1s'),
      min: durationOf('100ms'),
    }),
    status: status({delimiter: ','}),
    sort: sort(),
    limit: integer({min: 1}),
  }

  public async run() {
    return this.flags
  }
}

/** `jobs list` takes --status without oclif's delimiter: the status rules split the commas. */
class UndelimitedStatus extends BaseCommand<typeof UndelimitedStatus> {
  static override flags = {status: status()}

  public async run() {
    return this.flags
  }
}

function probe(...argv: string[]) {
  return captureOutput<FlagProbe['flags']>(() => FlagProbe.run(argv, ROOT))
}

/** A refused value: exit 2, the message on stderr (its hint, if any, on the next line), nothing on stdout. */
async function refusal(...argv: string[]): Promise<string> {
  const {stdout, stderr, error} = await probe(...argv)
  expect(error?.oclif?.exit, stderr).to.equal(2)
  expect(stdout).to.equal('')
  expect(stderr.trimEnd().split('\n').length, stderr).to.be.within(1, 2)
  return stderr.trimEnd()
}

describe('flags: the typed flags the commands share', () => {
  it('parses durations into milliseconds and keeps the text as written', async () => {
    const {result, error} = await probe('--timeout', '1h30m', '--interval', '250ms')
    expect(error).to.equal(undefined)
    expect(result!.timeout).to.deep.include({value: 90 * 60_000, text: '1h30m'})
    expect(result!.interval).to.deep.include({value: 250, text: '250ms'})
  })

  it('gives the defaults as values, and no value for a flag not given', async () => {
    const {result} = await probe()
    expect(result!.timeout).to.equal(undefined)
    expect(result!.status).to.equal(undefined)
    expect(result!.interval).to.deep.include({value: 1000, text: '1s'})
    expect(result!.sort.value).to.deep.equal({key: 'created', descending: true})
  })

  it('turns each --status value into the statuses it stands for (any case, pending, active, =NAME, commas)', async () => {
    const {result} = await probe('--status', 'Running,PENDING', '--status', 'active', '--status', '=Paused')
    expect(result!.status!.map(({value}) => value)).to.deep.equal([
      ['running'],
      ['queued'],
      ['queued', 'running', 'resolving_prerequisites'],
      ['Paused'],
    ])
    const undelimited = await captureOutput<{status?: {value: string[]}[]}>(() =>
      UndelimitedStatus.run(['--status', 'failed,completed-partial'], ROOT),
    )
    expect(undelimited.result!.status!.map(({value}) => value)).to.deep.equal([['failed', 'completed_partial']])
  })

  it('reads --sort KEY and -KEY', async () => {
    expect((await probe('--sort', 'Progress')).result!.sort.value).to.deep.equal({key: 'progress', descending: false})
    expect((await probe('--sort', '-duration')).result!.sort.value).to.deep.equal({key: 'duration', descending: true})
  })

  it("refuses a bad value in one line with the reason of our parser, not oclif's framing (exit 2)", async () => {
    expect(await refusal('--timeout', 'soon')).to.equal(
      'Error: --timeout must be a duration such as 500ms, 90s, 45m, 2h, 7d, 1w or 1h30m, not "soon".',
    )
    expect(await refusal('--interval', '10ms')).to.equal('Error: --interval must be at least 100ms, not "10ms".')
    expect(await refusal('--status', 'queued,runing')).to.match(
      /^Error: Unknown status "runing"\. Valid: queued, [^\n]*\.\nFor a status this CLI does not know yet, write --status =runing\.$/,
    )
    expect(await refusal('--sort', '-age')).to.equal(
      'Error: Unknown sort key "-age". Valid: created, progress, status, type, duration, repository, user (a leading - sorts descending).',
    )
  })

  it('refuses an integer below the minimum, or not an integer, saying what it takes and what it got', async () => {
    for (const value of ['0', '-3', 'abc', '1.5']) {
      expect(await refusal('--limit', value)).to.equal(
        `Error: --limit must be an integer of at least 1 (got ${value}).`,
      )
    }

    expect((await probe('--limit', '7')).result!.limit).to.equal(7)
  })

  it('refuses a bad value under --json with the same reason as a JSON error', async () => {
    const {stdout, error} = await probe('--json', '--timeout', 'soon')
    expect(error?.oclif?.exit).to.equal(2)
    expect(JSON.parse(stdout)).to.deep.equal({
      error: {
        kind: 'usage',
        message: '--timeout must be a duration such as 500ms, 90s, 45m, 2h, 7d, 1w or 1h30m, not "soon".',
        exit_code: 2,
      },
    })
  })

  it('shows a parsed default in --help as it was written', async () => {
    const value = new WrittenValue({key: 'created', descending: true}, '-created')
    expect(`${value}`).to.equal('-created')
    expect(JSON.stringify({default: value})).to.equal('{"default":"-created"}')
    const watch = await runCommand(['jobs', 'watch', '--help'], {root: ROOT})
    expect(watch.stdout).to.match(/--interval=<value>\s+\[default: 1s\]/)
    expect(watch.stdout).to.match(/--reconnect-grace=<value>\s+\[default: 60s\]/)
    const list = await runCommand(['jobs', 'list', '--help'], {root: ROOT})
    expect(list.stdout).to.match(/--sort=KEY\s+\[default: -created\]/)
  })
})
