/**
 * The pieces of a test that runs the CLI in a real terminal: a private tmux server, the CLI's
 * environment as `env` arguments, a wrapper shell that prints the exit status, and polling until
 * the screen shows something. (zsh's completion tests have their own session in
 * test/ecosystem/zsh-session.ts: they type into a shell rather than run the CLI.)
 */
import {execFileSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

export interface PrivateTmux {
  /** Ends the tmux server and every session on it; nothing when it is gone already. */
  kill(): void
  /** The visible text of a session's pane. */
  screen(session: string): string
  tmux(...args: string[]): string
}

/** A tmux server of this test run's own (`name` and the pid), so nothing else's sessions are touched. */
export function privateTmux(name: string): PrivateTmux {
  const socket = `${name}-${process.pid}`
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], {encoding: 'utf8'})
  return {
    tmux,
    screen: (session) => tmux('capture-pane', '-p', '-t', session),
    kill() {
      try {
        tmux('kill-server')
      } catch {
        // Already gone with its last session.
      }
    },
  }
}

/** Polls `check` every 100 ms until it returns something; at the timeout, fails with `show()` (the screen). */
export async function eventually<T>(
  what: string,
  check: () => T | undefined,
  show: () => string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${show()}`)
    await new Promise((resolve) => {
      setTimeout(resolve, 100)
    })
  }
}

/** What the CLI needs of the harness's environment: where its server, login and config are. */
const CLI_VARIABLES = [
  'CIDX_SERVER_URL',
  'CIDX_USERNAME',
  'CIDX_PASSWORD',
  'CIDX_CONFIG_DIR',
  'HOME',
  'XDG_CONFIG_HOME',
  'PATH',
]

/**
 * The `env` arguments that run the CLI in the pane: a colour terminal, the harness's variables,
 * and no V8 coverage. The tmux server has this process's environment, and the CLI's coverage
 * merged with the in-process runs' would garble the counts.
 */
export function terminalEnvArgs(env: NodeJS.ProcessEnv): string[] {
  const given = CLI_VARIABLES.filter((name) => env[name] !== undefined).map((name) => `${name}=${env[name]}`)
  return ['env', '-u', 'NO_COLOR', '-u', 'FORCE_COLOR', '-u', 'NODE_V8_COVERAGE', 'TERM=xterm-256color', ...given]
}

/**
 * A small shell script in `dir` that runs its arguments and prints `EXIT=<status>`; it lets
 * Ctrl-C reach the CLI without dying of it itself. With `stay`, it then waits, so the pane shows
 * the shell's screen again rather than closing.
 */
export function exitStatusWrapper(dir: string, {stay}: {stay: boolean}): string {
  const wrapper = join(dir, 'run.sh')
  writeFileSync(wrapper, `trap : INT\n"$@"\necho "EXIT=$?"\n${stay ? 'exec sleep 600\n' : ''}`)
  return wrapper
}
