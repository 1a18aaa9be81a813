import {Args, Flags} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {expect} from 'chai'

import {BaseCommand, reportError} from '../src/base-command.js'
import {NotConfiguredError} from '../src/errors.js'
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

/** A command with oclif's own integer flag, a required argument and two flags that exclude each other. */
class ParseProbe extends BaseCommand<typeof ParseProbe> {
  static override args = {job_id: Args.string({description: 'the job', required: true})}
  static override flags = {
    count: Flags.integer({description: "oclif's integer flag, whose reason has no typed field"}),
    quiet: Flags.boolean({char: 'q', exclusive: ['json']}),
    status: Flags.string({description: 'a flag to mistype'}),
    wait: Flags.boolean(),
    timeout: Flags.string({dependsOn: ['wait']}),
  }

  public async run(): Promise<string> {
    return this.args.job_id
  }
}

/** What ParseProbe prints on stderr (and stdout, for --json) for `argv`, and the exit code oclif gives it. */
async function usageLine(argv: string[]): Promise<{exit: number | undefined; stderr: string; stdout?: string}> {
  const {stderr, stdout, error} = await captureOutput(() => ParseProbe.run(argv, ROOT))
  return {stderr, exit: error?.oclif?.exit, ...(stdout ? {stdout} : {})}
}

describe("base command: oclif's parse errors keep their reason", () => {
  it('names the missing argument and the usage, the hint on a line of its own', async () => {
    expect(await usageLine([])).to.deep.equal({
      stderr: 'Error: Missing the job ID: cidx parseprobe JOB_ID.\nSee cidx parseprobe --help for usage.\n',
      exit: ExitCode.USAGE,
    })
  })

  it('names the arguments it did not expect', async () => {
    expect(await usageLine(['3f0c', 'extra'])).to.deep.equal({
      stderr: 'Error: Unexpected argument: extra.\nSee cidx parseprobe --help for usage.\n',
      exit: ExitCode.USAGE,
    })
  })

  it('names an unknown flag and the nearest known one', async () => {
    expect(await usageLine(['3f0c', '--stauts', 'x'])).to.deep.equal({
      stderr: 'Error: Unknown flag --stauts.\nDid you mean --status? See cidx parseprobe --help for usage.\n',
      exit: ExitCode.USAGE,
    })
    expect((await usageLine(['3f0c', '--zzzzzz'])).stderr).to.equal(
      'Error: Unknown flag --zzzzzz.\nSee cidx parseprobe --help for usage.\n',
    )
  })

  it('names the flags that cannot go together as they were typed, in --json too', async () => {
    expect((await usageLine(['3f0c', '-q', '--status', 'x', '--json'])).stdout).to.equal(
      `${JSON.stringify(
        {
          error: {
            kind: 'usage',
            message: '-q and --json cannot be used together',
            hint: 'See cidx parseprobe --help for usage.',
            exit_code: 2,
          },
        },
        null,
        2,
      )}\n`,
    )
    expect((await usageLine(['3f0c', '--quiet', '--json'])).stdout).to.include('"--quiet and --json cannot be used')
    expect((await usageLine(['3f0c', '--timeout', '3s'])).stderr).to.equal(
      'Error: --timeout works only with --wait.\nSee cidx parseprobe --help for usage.\n',
    )
  })

  it("keeps the reason of an error with no typed field, without oclif's framing", async () => {
    expect(await usageLine(['3f0c', '--count', 'abc'])).to.deep.equal({
      stderr: 'Error: Parsing --count: Expected an integer but received: abc.\nSee cidx parseprobe --help for usage.\n',
      exit: ExitCode.USAGE,
    })
  })
})

/** An error whose hint names this CLI's commands and the Python cidx's, and whose message quotes a server. */
const hinted = () =>
  new NotConfiguredError('No CIDX server configured (the server said "`cidx login` broke")', {
    hint: 'Run `cidx login --server URL`, see `cidx jobs list --help`, or set it up with the Python cidx (`cidx init --remote URL`).',
  })

describe('base command: reportError under a host CLI', () => {
  it("names the host's binary in the hint, for this CLI's own commands only", async () => {
    const {stderr} = await captureOutput(async () => reportError(hinted(), {bin: 'acme', json: false}))
    const [message, hint] = stderr.trimEnd().split('\n')
    // The message may quote the server: left alone.
    expect(message).to.equal('Error: No CIDX server configured (the server said "`cidx login` broke").')
    expect(hint).to.equal(
      'Run `acme login --server URL`, see `acme jobs list --help`, or set it up with the Python cidx (`cidx init --remote URL`).',
    )
  })

  it('does the same under --json, and keeps the error whole', async () => {
    const error = hinted()
    const {stdout} = await captureOutput(async () => reportError(error, {bin: 'acme', json: true}))
    expect(JSON.parse(stdout)).to.deep.include({
      error: {
        kind: 'config',
        message: error.message,
        hint: 'Run `acme login --server URL`, see `acme jobs list --help`, or set it up with the Python cidx (`cidx init --remote URL`).',
        exit_code: ExitCode.AUTH,
      },
    })
    // The error itself is unchanged: only what is shown names the host.
    expect(error.hint).to.match(/^Run `cidx login/)
  })

  it('leaves the hint alone under cidx itself', async () => {
    const {stderr} = await captureOutput(async () => reportError(hinted(), {bin: 'cidx', json: false}))
    expect(stderr).to.include('Run `cidx login --server URL`, see `cidx jobs list --help`')
  })
})
