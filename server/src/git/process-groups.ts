import {readdirSync, readFileSync} from 'node:fs'

interface ProcStat {
  pgrp: number
  pid: number
  state: string
}

function readStat(pid: string): null | ProcStat {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return {pid: Number(pid), state: fields[0], pgrp: Number(fields[2])}
  } catch {
    return null
  }
}

export const canInspectProcesses = ((): boolean => {
  try {
    readdirSync('/proc/self')
    return true
  } catch {
    return false
  }
})()

/** Live (not zombie) processes in any of the given process groups, read from /proc. */
export function livePidsInGroups(pgids: ReadonlySet<number>): number[] {
  if (pgids.size === 0 || !canInspectProcesses) return []
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(entry)
    if (stat && pgids.has(stat.pgrp) && stat.state !== 'Z' && stat.state !== 'X') pids.push(stat.pid)
  }

  return pids
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** True when the process is still a git process (guards against a recycled pid after a crash). */
export function isGitProcess(pid: number): boolean {
  try {
    return /(^|\/)git(\0|$|-)/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return false
  }
}
