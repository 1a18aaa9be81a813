import {readdirSync, readFileSync} from 'node:fs'

/**
 * Whether a process still runs. A zombie counts as dead: it has exited, only its exit status
 * waits to be collected (here by pid 1, which adopts the helpers of a killed git).
 */
export function isAlive(pid: number): boolean {
  try {
    // The state follows the command name, which may itself contain spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))
  } catch {
    return false
  }
}

/** Live (non-zombie) processes whose command line contains `needle`. */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (isAlive(Number(entry)) && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle))
        pids.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }

  return pids
}
