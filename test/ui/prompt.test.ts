import {expect} from 'chai'
import {PassThrough} from 'node:stream'

import {InterruptedError, UsageError} from '../../src/errors.js'
import {confirm, type PromptInput, promptPassword, promptText, readAllStdin} from '../../src/ui/prompt.js'
import {ATTACKS, ESCAPED_TITLE, hostile} from '../helpers/fixtures/hostile-text.js'
import {rejection} from '../helpers/thrown.js'

/** A fake terminal: a PassThrough that says it is a TTY and records raw-mode switches. */
function fakeTerminal(): PassThrough & PromptInput & {rawModes: boolean[]} {
  const stream = new PassThrough() as PassThrough & PromptInput & {rawModes: boolean[]}
  stream.isTTY = true
  stream.isRaw = false
  stream.rawModes = []
  stream.setRawMode = (mode: boolean) => {
    stream.rawModes.push(mode)
    stream.isRaw = mode
    return stream
  }

  return stream
}

function capture(): PassThrough & {text(): string} {
  const output = new PassThrough() as PassThrough & {text(): string}
  const chunks: Buffer[] = []
  output.on('data', (chunk: Buffer) => chunks.push(chunk))
  output.text = () => Buffer.concat(chunks).toString('utf8')
  return output
}

/** Types into the fake terminal once the prompt is listening (after the current turn). */
function typeLater(input: PassThrough, ...chunks: Array<Buffer | string>): void {
  setImmediate(() => {
    for (const chunk of chunks) input.write(chunk)
  })
}

describe('prompt', () => {
  describe('promptPassword', () => {
    it('reads a line in raw mode without echoing it, then restores the mode', async () => {
      const input = fakeTerminal()
      const output = capture()
      typeLater(input, 'se', 'cret\r')
      const password = await promptPassword('Password: ', {input, output})
      expect(password).to.equal('secret')
      expect(output.text()).to.equal('Password: \n')
      expect(input.rawModes).to.deep.equal([true, false])
    })

    it('handles backspace, Ctrl-U, arrow keys and UTF-8 split across chunks', async () => {
      const input = fakeTerminal()
      const euro = Buffer.from('€', 'utf8')
      typeLater(
        input,
        'wrong\u0015',
        'pa',
        '\u001B[D',
        'sx\u007F',
        's',
        euro.subarray(0, 1),
        euro.subarray(1),
        'é\bs\n',
      )
      expect(await promptPassword('P: ', {input, output: capture()})).to.equal('pass€s')
    })

    it('ends at Ctrl-D or at the end of the input', async () => {
      const input = fakeTerminal()
      typeLater(input, 'abc\u0004ignored')
      expect(await promptPassword('P: ', {input, output: capture()})).to.equal('abc')
      const ending = fakeTerminal()
      setImmediate(() => ending.end('xyz'))
      expect(await promptPassword('P: ', {input: ending, output: capture()})).to.equal('xyz')
    })

    it('turns Ctrl-C into InterruptedError (exit 130) and restores the mode', async () => {
      const input = fakeTerminal()
      typeLater(input, 'hal', '\u0003')
      const error = await rejection(promptPassword('P: ', {input, output: capture()}))
      expect(error).to.be.instanceOf(InterruptedError)
      expect((error as InterruptedError).exitCode).to.equal(130)
      expect(input.rawModes).to.deep.equal([true, false])
    })

    it('rejects with the stream error', async () => {
      const input = fakeTerminal()
      setImmediate(() => input.destroy(new Error('EIO')))
      expect((await rejection(promptPassword('P: ', {input, output: capture()}))).message).to.equal('EIO')
    })

    it('refuses when stdin is not a terminal, without reading it', async () => {
      const input = new PassThrough()
      input.write('leaked\n')
      const output = capture()
      const error = await rejection(promptPassword('Password: ', {input, output}))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal('no terminal: use --password-stdin')
      expect(output.text()).to.equal('')
      expect(input.read()?.toString()).to.equal('leaked\n')
    })
  })

  describe('confirm', () => {
    it('shows (y/N) and answers yes to y', async () => {
      const input = fakeTerminal()
      const output = capture()
      typeLater(input, 'y\r')
      expect(await confirm('Cancel job abc?', {input, output})).to.equal(true)
      expect(output.text()).to.include('Cancel job abc? (y/N) ')
    })

    it('defaults to no on Enter, and to yes with defaultNo: false', async () => {
      const input = fakeTerminal()
      typeLater(input, '\r')
      expect(await confirm('Go?', {input, output: capture(), defaultNo: true})).to.equal(false)
      const other = fakeTerminal()
      const output = capture()
      typeLater(other, '\r')
      expect(await confirm('Go?', {input: other, output, defaultNo: false})).to.equal(true)
      expect(output.text()).to.include('Go? (Y/n) ')
    })

    it('asks again on an unclear answer, and accepts yes / NO in any case', async () => {
      const input = fakeTerminal()
      const output = capture()
      typeLater(input, 'maybe\r')
      // The second answer only once the question is asked again (readline drops lines nobody asked for).
      output.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('Please answer')) typeLater(input, ' YES \r')
      })
      expect(await confirm('Go?', {input, output})).to.equal(true)
      expect(output.text()).to.include('Please answer y or n.')
      const again = fakeTerminal()
      typeLater(again, 'NO\r')
      expect(await confirm('Go?', {input: again, output: capture(), defaultNo: false})).to.equal(false)
    })

    it('answers no when the input ends (Ctrl-D)', async () => {
      const input = fakeTerminal()
      typeLater(input, '\u0004')
      expect(await confirm('Go?', {input, output: capture(), defaultNo: false})).to.equal(false)
    })

    it('turns Ctrl-C into InterruptedError', async () => {
      const input = fakeTerminal()
      typeLater(input, 'y', '\u0003')
      expect(await rejection(confirm('Go?', {input, output: capture()}))).to.be.instanceOf(InterruptedError)
    })

    it('never waits on a non-terminal stdin: UsageError at once', async () => {
      const input = new PassThrough() // never written to: waiting on it would hang the test
      const error = await rejection(confirm('Go?', {input, output: capture()}))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.include('--yes')
      const custom = await rejection(confirm('Go?', {input, output: capture(), noTerminal: 'no terminal: use --force'}))
      expect(custom.message).to.equal('no terminal: use --force')
    })
  })

  describe('a question that names what a server said (the user name of the last login)', () => {
    const question = `Password for ${hostile('user')} at http://cidx.example: `

    it('is shown with its control codes escaped by every kind of prompt', async () => {
      const asks = [
        (input: PromptInput, output: PassThrough) => promptPassword(question, {input, output}),
        (input: PromptInput, output: PassThrough) => promptText(question, {input, output}),
        (input: PromptInput, output: PassThrough) => confirm(question, {input, output}),
      ]
      for (const ask of asks) {
        const input = fakeTerminal()
        const output = capture()
        typeLater(input, 'y\r')
        await ask(input, output)
        // readline draws with escape sequences of its own: the server's are what must not be there.
        for (const attack of Object.values(ATTACKS)) expect(output.text()).not.to.include(attack)
        expect(output.text()).to.include(`user${ESCAPED_TITLE}`)
      }
    })
  })

  describe('promptText', () => {
    it('reads an echoed, trimmed line', async () => {
      const input = fakeTerminal()
      const output = capture()
      typeLater(input, ' alice \r')
      expect(await promptText('Username: ', {input, output})).to.equal('alice')
      expect(output.text()).to.include('Username: ')
    })

    it('turns the end of input into InterruptedError', async () => {
      const input = fakeTerminal()
      typeLater(input, '\u0004')
      expect(await rejection(promptText('Username: ', {input, output: capture()}))).to.be.instanceOf(InterruptedError)
    })

    it('refuses without a terminal', async () => {
      const error = await rejection(
        promptText('Username: ', {input: new PassThrough(), output: capture(), noTerminal: 'use --username'}),
      )
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal('use --username')
    })
  })

  describe('readAllStdin', () => {
    const cases: Array<[string, Array<Buffer | string>, string]> = [
      ['drops one trailing newline', ['pass', 'word\n'], 'password'],
      ['drops one trailing CRLF', ['pw\r\n'], 'pw'],
      ['keeps a second newline', ['pw\n\n'], 'pw\n'],
      ['keeps text without newline', [Buffer.from('  spaced  ')], '  spaced  '],
      ['reads empty input', [], ''],
    ]
    for (const [name, chunks, expected] of cases) {
      it(name, async () => {
        const input = new PassThrough()
        for (const chunk of chunks) input.write(chunk)
        input.end()
        expect(await readAllStdin(input)).to.equal(expected)
      })
    }

    it('reads string chunks too', async () => {
      const input = new PassThrough({encoding: 'utf8'})
      input.end('ünï\n')
      expect(await readAllStdin(input)).to.equal('ünï')
    })
  })
})
