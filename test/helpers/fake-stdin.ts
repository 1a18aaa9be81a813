import {PassThrough} from 'node:stream'

export type FakeStdin = PassThrough & {isRaw?: boolean; isTTY?: boolean; setRawMode?: (mode: boolean) => unknown}

/** Puts a stream in place of process.stdin until the returned function is called. */
export function replaceStdin(options: {tty: boolean}): {restore: () => void; stdin: FakeStdin} {
  const original = Object.getOwnPropertyDescriptor(process, 'stdin')!
  const stdin = new PassThrough() as FakeStdin
  if (options.tty) {
    stdin.isTTY = true
    stdin.isRaw = false
    stdin.setRawMode = (mode: boolean) => {
      stdin.isRaw = mode
      return stdin
    }
  }

  Object.defineProperty(process, 'stdin', {configurable: true, get: () => stdin})
  return {stdin, restore: () => Object.defineProperty(process, 'stdin', original)}
}
