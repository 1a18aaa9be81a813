import {runCommand} from '@oclif/test'
import {expect} from 'chai'

import {EXIT_CODES, ExitCode, exitCodesHelp, worstExitCode} from '../src/exit-codes.js'

const ROOT = new URL('..', import.meta.url).pathname

describe('exit codes: one table', () => {
  it('names each code and gives each a meaning, in the order of their numbers', () => {
    expect(ExitCode).to.deep.equal({
      OK: 0,
      ERROR: 1,
      USAGE: 2,
      AUTH: 3,
      NOT_FOUND: 4,
      NETWORK: 5,
      CONFLICT: 6,
      JOB_FAILED: 10,
      JOB_CANCELLED: 11,
      JOB_PARTIAL: 12,
      DEGRADED: 13,
      UNHEALTHY: 14,
      TIMEOUT: 124,
      INTERRUPTED: 130,
    })
    expect(EXIT_CODES.map(({code}) => code)).to.deep.equal(Object.values(ExitCode))
    for (const {meaning} of EXIT_CODES)
      expect(meaning)
        .to.match(/^\S.*\S$/)
        .and.not.include('\n')
  })

  it('is the EXIT CODES section of every cidx --help: one code a line, meanings aligned', async () => {
    const lines = exitCodesHelp().split('\n')
    expect(lines).to.have.length(EXIT_CODES.length)
    expect(lines[0]).to.equal('0    success')
    expect(lines.at(-1)).to.equal('130  interrupted (Ctrl-C)')
    for (const id of ['jobs list', 'login']) {
      const {stdout} = await runCommand([...id.split(' '), '--help'], {root: ROOT})
      const section = stdout.slice(stdout.indexOf('EXIT CODES\n'))
      expect(section, id).to.include(lines.map((line) => `  ${line}`).join('\n'))
    }
  })

  it('keeps "the worst wins" for competing outcomes', () => {
    expect(worstExitCode([ExitCode.OK, ExitCode.JOB_PARTIAL, ExitCode.JOB_FAILED])).to.equal(ExitCode.JOB_FAILED)
    expect(worstExitCode([ExitCode.NOT_FOUND, ExitCode.TIMEOUT])).to.equal(ExitCode.TIMEOUT)
    expect(worstExitCode([])).to.equal(ExitCode.OK)
  })
})
