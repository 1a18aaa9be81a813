import {spawn, type ChildProcess} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const RUN_CLI = fileURLToPath(new URL('run-cli.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface ChildServer {
  child: ChildProcess
  url: string
  /** Everything printed on stdout so far. */
  output(): string
  exited: Promise<number | null>
}

/** Starts `npm run server`'s code from source in a child process and waits for its URL. */
export async function startChildServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildServer> {
  const {CIDX_ADMIN_PASSWORD: _ignored, ...baseEnv} = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=development', RUN_CLI, '--port', '0', ...args], {
    cwd: REPO_ROOT,
    env: {...baseEnv, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
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
