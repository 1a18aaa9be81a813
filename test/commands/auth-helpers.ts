import {mkdtemp, realpath, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'

/**
 * Test plumbing for the login/logout/whoami command tests: an isolated config dir and working
 * directory, a replaceable process.stdin, and JWT-shaped tokens.
 */

const CIDX_VARIABLES = ['CIDX_SERVER_URL', 'CIDX_TOKEN', 'CIDX_USERNAME', 'CIDX_PASSWORD', 'CIDX_CONFIG_DIR'] as const

export interface CliSandbox {
  base: string
  /** oclif's configDir for the CLI under test (through CIDX_CONFIG_DIR, so the real home is never touched). */
  configDir: string
  restore(): Promise<void>
}

export async function cliSandbox(): Promise<CliSandbox> {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'cidx-cmd-')))
  const saved = Object.fromEntries(CIDX_VARIABLES.map((name) => [name, process.env[name]]))
  const savedCwd = process.cwd()
  for (const name of CIDX_VARIABLES) delete process.env[name]
  const configDir = join(base, 'config')
  process.env.CIDX_CONFIG_DIR = configDir
  process.chdir(base) // no .code-indexer project above a fresh temp dir
  return {
    base,
    configDir,
    async restore() {
      process.chdir(savedCwd)
      for (const name of CIDX_VARIABLES) {
        if (saved[name] === undefined) delete process.env[name]
        else process.env[name] = saved[name]
      }

      await rm(base, {recursive: true, force: true})
    },
  }
}

export type FakeStdin = PassThrough & {isTTY?: boolean; isRaw?: boolean; setRawMode?: (mode: boolean) => unknown}

/** Puts a stream in place of process.stdin until the returned function is called. */
export function replaceStdin(options: {tty: boolean}): {stdin: FakeStdin; restore: () => void} {
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

/** An unsigned JWT-shaped token with the claims a CIDX server puts in (`exp`/`iat` are float seconds). */
export function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({alg: 'HS256', typ: 'JWT'})}.${part(claims)}.unsigned`
}
