import {expect} from 'chai'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {run} from './support.js'

/**
 * A real interactive zsh in a detached tmux pane of 120 x 40, driven the way a user does: keys in
 * (send-keys), the screen out (capture-pane). Its own tmux socket and no tmux config, so nothing
 * of the machine's tmux leaks in. The caller writes the `~/.zshrc` it starts with.
 */
export interface ZshSession {
  close(): Promise<void>
  /**
   * Clears the line and the screen, types `line`, presses TAB (`tabs` times: zsh lists nothing
   * on the TAB that inserts a common prefix) and returns the screen once `shows` accepts it (the
   * completion may start the CLI, so it is polled), or as it is after 60 s.
   */
  complete(line: string, shows: (screen: string) => boolean, tabs?: number): Promise<string>
}

/** What `PS1` the tests' ~/.zshrc sets, so that a screen is easy to read. */
export const ZSH_PROMPT = '> '

export async function startZsh(dir: string, options: {cwd: string; env: NodeJS.ProcessEnv}): Promise<ZshSession> {
  const socket = join(dir, 'tmux.sock')
  const tmux = async (...args: string[]) => {
    const result = await run('tmux', ['-S', socket, '-f', '/dev/null', ...args], options)
    expect(result.code, `tmux ${args.join(' ')}: ${result.stderr}`).to.equal(0)
    return result.stdout
  }

  const screen = () => tmux('capture-pane', '-p', '-t', 'zsh')
  const waitFor = async (shows: (text: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 60_000
    let text = await screen()
    while (!shows(text) && Date.now() < deadline) {
      await sleep(100)
      text = await screen()
    }

    return text
  }

  await tmux('new-session', '-d', '-s', 'zsh', '-x', '120', '-y', '40', 'zsh', '-i')
  // capture-pane leaves out the spaces that end a row, the prompt's too.
  const ready = await waitFor((text) => text.startsWith(ZSH_PROMPT.trimEnd()))
  expect(ready.startsWith(ZSH_PROMPT.trimEnd()), `zsh never showed its prompt:\n${ready}`).to.equal(true)
  return {
    async complete(line, shows, tabs = 1) {
      await tmux('send-keys', '-t', 'zsh', 'C-u', 'C-l')
      await waitFor((text) => text.trim() === ZSH_PROMPT.trim())
      await tmux('send-keys', '-t', 'zsh', '-l', line)
      // TAB only once zsh has the whole line: a screen from before it must not pass for the answer.
      await waitFor((text) => text.startsWith(`${ZSH_PROMPT}${line}`.trimEnd()))
      await tmux('send-keys', '-t', 'zsh', ...Array.from({length: tabs}, () => 'Tab'))
      return waitFor(shows)
    },
    async close() {
      await run('tmux', ['-S', socket, 'kill-server'], options)
    },
  }
}

/** The screen's first line, the command line as completion left it (without the prompt and trailing spaces). */
export function commandLine(screen: string): string {
  return screen.split('\n')[0].slice(ZSH_PROMPT.length).trimEnd()
}

/** The screen below the command line: the candidates zsh lists, one or more a row. */
export function listed(screen: string): string {
  return screen.split('\n').slice(1).join('\n')
}
