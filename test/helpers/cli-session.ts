import {createSandbox, type Sandbox} from './sandbox.js'

/**
 * A fresh sandboxed user for each test of the enclosing describe, with stdout as a pipe (colour
 * variables unset) unless the test makes it a terminal; for commands run in-process (runCommand).
 */
export interface CliSession {
  /** Makes stdout a colour terminal `columns` wide for the rest of the test. */
  asTerminal(columns: number): void
  /** The running test's sandbox. */
  readonly sandbox: Sandbox
}

/** The output stream as the command sees it, colour variables unset; returns what undoes it. */
function outputAs(options: {columns?: number; tty: boolean}): () => void {
  const stdout = process.stdout as NodeJS.WriteStream & {isTTY?: boolean}
  const saved = {
    isTTY: stdout.isTTY,
    columns: stdout.columns,
    env: {NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR, TERM: process.env.TERM},
  }
  stdout.isTTY = options.tty
  if (options.columns !== undefined) stdout.columns = options.columns
  delete process.env.NO_COLOR
  delete process.env.FORCE_COLOR
  process.env.TERM = 'xterm-256color'
  return () => {
    stdout.isTTY = saved.isTTY
    stdout.columns = saved.columns
    for (const [name, value] of Object.entries(saved.env)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

/* eslint-disable mocha/no-top-level-hooks -- the hooks are registered in the describe that calls useCliSession, not at the top level */
/**
 * Registers the hooks of a CliSession in the enclosing describe. `env` is read before each test
 * (a server started in `before` is known by then) and added to the sandbox's environment.
 */
export function useCliSession(env: () => NodeJS.ProcessEnv = () => ({})): CliSession {
  let sandbox: Sandbox | undefined
  let restoreOutput: (() => void) | undefined
  beforeEach(async () => {
    sandbox = await createSandbox('cidx-cmd-')
    sandbox.enter(env())
    restoreOutput = outputAs({tty: false})
  })
  afterEach(async () => {
    restoreOutput?.()
    await sandbox?.remove()
    sandbox = undefined
  })
  return {
    get sandbox() {
      if (!sandbox) throw new Error('the CLI session exists only while a test runs')
      return sandbox
    },
    asTerminal(columns) {
      restoreOutput?.()
      restoreOutput = outputAs({tty: true, columns})
    },
  }
}
/* eslint-enable mocha/no-top-level-hooks */

/** The non-empty lines of a command's output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '')
}
