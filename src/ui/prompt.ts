import {createInterface, type Interface} from 'node:readline'
import {StringDecoder} from 'node:string_decoder'

import {InterruptedError, UsageError} from '../errors.js'
import {safeText} from './safe-text.js'

/** The input side of a prompt: process.stdin, or a stream a test marks as a TTY. */
export type PromptInput = NodeJS.ReadableStream & {
  isRaw?: boolean
  isTTY?: boolean
  setRawMode?: (mode: boolean) => unknown
}

export interface PromptStreams {
  input: PromptInput
  /** The UsageError message when stdin is not a terminal; it should name the non-interactive way. */
  noTerminal?: string
  /** Where questions go: stderr in commands, so stdout stays clean for output and --json. */
  output: NodeJS.WritableStream
}

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const CTRL_U = '\u0015'
const ESCAPE = '\u001B'
const BACKSPACES = new Set(['\u007F', '\b'])

function requireTerminal(input: PromptInput, message: string): void {
  // Waiting on a pipe or /dev/null would hang a script, so a prompt without a terminal is refused.
  if (!input.isTTY) throw new UsageError(message)
}

/**
 * Reads a line in raw mode without echoing it. Backspace and Ctrl-U edit, Enter or Ctrl-D ends,
 * Ctrl-C rejects with InterruptedError; escape sequences (arrow keys) are ignored.
 */
function readHiddenLine(input: PromptInput): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8')
    let typed: string[] = []
    const finish = (error?: Error): void => {
      input.removeListener('data', onData)
      input.removeListener('end', onEnd)
      input.removeListener('error', finish)
      input.pause()
      if (error) reject(error)
      else resolve(typed.join(''))
    }

    const onEnd = (): void => finish()
    const onData = (chunk: Buffer | string): void => {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk)
      if (text.startsWith(ESCAPE)) return
      for (const char of text) {
        if (char === '\r' || char === '\n' || char === CTRL_D) return finish()
        if (char === CTRL_C) return finish(new InterruptedError())
        if (BACKSPACES.has(char)) typed = typed.slice(0, -1)
        else if (char === CTRL_U) typed = []
        else if (char >= ' ') typed.push(char)
      }
    }

    input.on('data', onData)
    input.once('end', onEnd)
    input.once('error', finish)
    input.resume()
  })
}

/** Asks for a password without echo. Refuses (UsageError) when stdin is not a terminal. */
export async function promptPassword(question: string, streams: PromptStreams): Promise<string> {
  const {input, output} = streams
  requireTerminal(input, streams.noTerminal ?? 'no terminal: use --password-stdin')
  // Questions may name what a server said (the user name it gave at the last login): escaped.
  output.write(safeText(question))
  const wasRaw = input.isRaw ?? false
  input.setRawMode?.(true)
  try {
    return await readHiddenLine(input)
  } finally {
    input.setRawMode?.(wasRaw)
    output.write('\n')
  }
}

/**
 * One readline question; null when the input ends (Ctrl-D), InterruptedError on Ctrl-C (after ending
 * the question's line, so that what the command says next starts a line of its own).
 */
function ask(rl: Interface, question: string, output: NodeJS.WritableStream): Promise<null | string> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      rl.removeListener('SIGINT', onInterrupt)
      rl.removeListener('close', onClose)
    }

    const onInterrupt = (): void => {
      cleanup()
      output.write('\n')
      reject(new InterruptedError())
    }

    const onClose = (): void => {
      cleanup()
      resolve(null)
    }

    rl.once('SIGINT', onInterrupt)
    rl.once('close', onClose)
    rl.question(question, (answer) => {
      cleanup()
      resolve(answer)
    })
  })
}

async function withReadline<T>(streams: PromptStreams, use: (rl: Interface) => Promise<T>): Promise<T> {
  const rl = createInterface({input: streams.input, output: streams.output, terminal: true})
  try {
    return await use(rl)
  } finally {
    rl.close()
  }
}

/** Asks for a line of text, echoed (e.g. a user name). Refuses when stdin is not a terminal. */
export async function promptText(question: string, streams: PromptStreams): Promise<string> {
  requireTerminal(streams.input, streams.noTerminal ?? 'no terminal to answer the question')
  const answer = await withReadline(streams, (rl) => ask(rl, safeText(question), streams.output))
  if (answer === null) throw new InterruptedError()
  return answer.trim()
}

export interface ConfirmOptions extends PromptStreams {
  /** `(y/N)`: Enter means no. With false, `(Y/n)`: Enter means yes. */
  defaultNo?: boolean
}

/**
 * A `(y/N)` question. Enter gives the default, y/yes and n/no answer, anything else asks again;
 * end of input means no. Never waits on a non-terminal stdin: it throws UsageError instead.
 */
export async function confirm(question: string, options: ConfirmOptions): Promise<boolean> {
  const defaultNo = options.defaultNo ?? true
  requireTerminal(options.input, options.noTerminal ?? 'no terminal to confirm: pass --yes to go ahead without asking')
  const prompt = `${safeText(question)} ${defaultNo ? '(y/N)' : '(Y/n)'} `
  return withReadline(options, async (rl) => {
    for (;;) {
      const answer = await ask(rl, prompt, options.output)
      if (answer === null) return false
      const normalized = answer.trim().toLowerCase()
      if (normalized === '') return !defaultNo
      if (normalized === 'y' || normalized === 'yes') return true
      if (normalized === 'n' || normalized === 'no') return false
      options.output.write('Please answer y or n.\n')
    }
  })
}

/** Reads all of stdin (for --password-stdin), dropping the one trailing newline `echo` adds. */
export async function readAllStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of input)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer))
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
}
