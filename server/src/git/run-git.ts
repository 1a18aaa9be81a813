import {spawn} from 'node:child_process'
import {setTimeout as delay} from 'node:timers/promises'
import {redactUrls} from '../repos/layout.js'
import {canInspectProcesses, livePidsInGroups, signalGroup} from './process-groups.js'

/** Grace between SIGTERM and SIGKILL for a cancelled git. */
export const KILL_GRACE_MS = 2000
const GROUP_POLL_MS = 10
const STDERR_TAIL_CHARS = 8192

export class GitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message)
  }
}

export interface GitRunOptions {
  cwd?: string
  signal?: AbortSignal
  /** Each line git writes to stderr (progress lines end in \r, so they are split there too). */
  onStderrLine?: (line: string) => void
  onSpawn?: (pgid: number) => void
  onExit?: (pgid: number) => void
}

/** git never prompts (no terminal, no askpass, ssh in batch mode) and speaks plain English. */
function gitEnvironment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    SSH_ASKPASS: 'echo',
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    LC_ALL: 'C',
  }
}

/**
 * Stops a whole process group: SIGTERM, then SIGKILL after the grace period, and resolves only
 * when no process of the group is left (git forks helpers such as git-remote-http, index-pack).
 */
async function terminateGroup(pgid: number, leaderExited: Promise<unknown>): Promise<void> {
  signalGroup(pgid, 'SIGTERM')
  const killTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), KILL_GRACE_MS)
  try {
    await leaderExited
    while (canInspectProcesses && livePidsInGroups(new Set([pgid])).length > 0) await delay(GROUP_POLL_MS)
  } finally {
    clearTimeout(killTimer)
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

/**
 * Runs git in its own process group and returns its stdout. Callers pass `--` before URLs and
 * paths. On abort the group is terminated and the promise rejects once every process is gone.
 */
export async function runGit(args: string[], options: GitRunOptions = {}): Promise<string> {
  const {signal} = options
  if (signal?.aborted) throw abortError(signal)
  const child = spawn('git', args, {cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: gitEnvironment()})
  const exited = new Promise<{code: number | null; spawnError?: Error}>((resolve) => {
    child.once('error', (spawnError) => resolve({code: null, spawnError}))
    child.once('close', (code) => resolve({code}))
  })
  const pgid = child.pid
  if (pgid !== undefined) options.onSpawn?.(pgid)
  let stdout = ''
  let stderrTail = ''
  let partialLine = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS)
    const lines = (partialLine + chunk).split(/[\r\n]/)
    partialLine = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') options.onStderrLine?.(line)
  })
  let termination: Promise<void> | undefined
  const onAbort = () => {
    if (pgid !== undefined) termination = terminateGroup(pgid, exited)
  }
  signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const {code, spawnError} = await exited
    if (termination) await termination
    if (signal?.aborted) throw abortError(signal)
    if (spawnError) throw new GitError(`could not run git: ${spawnError.message}`, null)
    if (code !== 0) throw new GitError(redactUrls(lastMeaningfulLine(stderrTail) ?? `git ${args[0]} exited with code ${code}`), code)
    return stdout
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (pgid !== undefined) options.onExit?.(pgid)
  }
}

/** git's own explanation: the last `fatal:`/`error:` line, else the last line. */
function lastMeaningfulLine(stderr: string): string | undefined {
  const lines = stderr.split(/[\r\n]/).map((line) => line.trim()).filter(Boolean)
  return lines.findLast((line) => /^(fatal|error):/.test(line)) ?? lines.at(-1)
}
