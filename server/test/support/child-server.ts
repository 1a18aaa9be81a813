import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const RUN_CLI = fileURLToPath(new URL('run-cli.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SERVER_BIN = fileURLToPath(new URL('../../bin/server.js', import.meta.url))
const SERVER_DIST = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

export interface ChildServer {
  child: ChildProcess
  exited: Promise<null | number>
  /** Everything printed on stdout so far. */
  output(): string
  url: string
}

/** Starts `npm run server`'s code from source in a child process and waits for its URL. */
export async function startChildServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  // The child makes its admin as the test says, never from the password of the shell around it.
  const baseEnv = {...process.env}
  delete baseEnv.CIDX_ADMIN_PASSWORD
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=development', RUN_CLI, '--port', '0', ...args],
    {
      cwd: REPO_ROOT,
      env: {...baseEnv, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<null | number>((resolve) => {
    child.once('exit', (code) => resolve(code))
  })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 15_000)
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }

    child.stdout?.on('data', check)
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)))
  })
  return {child, url, output: () => stdout, exited}
}

/** Runs the built CLI (`npm run server`, from server/dist) to its end, e.g. one that refuses to start. */
export async function runBuiltServer(args: string[]): Promise<{code: null | number; stderr: string; stdout: string}> {
  if (!existsSync(SERVER_DIST)) throw new Error(`${SERVER_DIST} is missing: run \`npm run build\` first`)
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const code = await new Promise<null | number>((resolve) => {
    child.once('close', resolve)
  })
  clearTimeout(timer)
  return {code, stdout, stderr}
}
