import {Args, Flags} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {expect} from 'chai'

import {BaseCommand} from '../src/base-command.js'
import {ExitCode} from '../src/exit-codes.js'

const ROOT = new URL('..', import.meta.url).pathname

/** Warns with a text that holds a terminal escape (as a server's words may), then returns a result that is not a success. */
class PartialProbe extends BaseCommand<typeof PartialProbe> {
  public async run(): Promise<{done: number; failed: number}> {
    this.warn('job "\u001B]0;owned\u0007x" was skipped')
    return this.finishWith({done: 1, failed: 1}, ExitCode.JOB_FAILED)
  }
}

class SuccessProbe extends BaseCommand<typeof SuccessProbe> {
  public async run(): Promise<{done: number}> {
    return this.finishWith({done: 2}, ExitCode.OK)
  }
}

describe('base command: results, exit codes and warnings', () => {
  it('prints a result that is not a success under --json, then exits with its code', async () => {
    const {stdout, error} = await captureOutput(() => PartialProbe.run(['--json'], ROOT))
    expect(error?.oclif?.exit).to.equal(ExitCode.JOB_FAILED)
    expect(JSON.parse(stdout)).to.deep.equal({done: 1, failed: 1})
  })

  it('exits 0 with the result of a success', async () => {
    const {stdout, error, result} = await captureOutput(() => SuccessProbe.run(['--json'], ROOT))
    expect(error).to.equal(undefined)
    expect(result).to.deep.equal({done: 2})
    expect(JSON.parse(stdout)).to.deep.equal({done: 2})
  })

  it('warns on stderr in every mode, with control characters escaped', async () => {
    for (const argv of [[], ['--json']]) {
      const {stdout, stderr} = await captureOutput(() => PartialProbe.run(argv, ROOT))
      expect(stderr, argv.join(' ')).to.equal('Warning: job "\\x1b]0;owned\\x07x" was skipped\n')
      expect(stdout).not.to.include('Warning')
    }
  })
})

/** A command with an integer flag and a required argument, to see how oclif's own parse errors read. */
class ParseProbe extends BaseCommand<typeof ParseProbe> {
  static override args = {job_id: Args.string({description: 'the job', required: true})}
  static override flags = {limit: Flags.integer({min: 1, description: 'at most this many'})}

  public async run(): Promise<string> {
    return this.args.job_id
  }
}

/** What ParseProbe prints on stderr for `argv`, and the exit code oclif gives it. */
async function usageLine(argv: string[]): Promise<{exit: number | undefined; stderr: string}> {
  const {stderr, error} = await captureOutput(() => ParseProbe.run(argv, ROOT))
  return {stderr, exit: error?.oclif?.exit}
}

describe("base command: oclif's parse errors in one line", () => {
  it('says what was wrong with an integer flag, not only which flag', async () => {
    expect(await usageLine(['3f0c', '--limit', 'abc'])).to.deep.equal({
      stderr: 'Error: Parsing --limit: Expected an integer but received: abc See --help for usage.\n',
      exit: ExitCode.USAGE,
    })
    expect((await usageLine(['3f0c', '--limit', '0'])).stderr).to.include(
      'Expected an integer greater than or equal to 1 but received: 0',
    )
  })

  it('names the missing argument, on one line', async () => {
    const {stderr, exit} = await usageLine([])
    expect(exit).to.equal(ExitCode.USAGE)
    expect(stderr).to.equal('Error: Missing 1 required arg: job_id the job See --help for usage.\n')
  })
})
