import type {Readable} from 'node:stream'

import {spawn} from 'node:child_process'
import {setTimeout as delay} from 'node:timers/promises'

import {storageErrnoInText} from '../db/storage-errors.js'
import {redactUrls} from '../repos/layout.js'
import {livePidsInGroups, signalGroup} from './process-groups.js'

/** Grace between SIGTERM and SIGKILL for a cancelled git. */
export const KILL_GRACE_MS = 2000
const GROUP_POLL_MS = 10
const STDERR_TAIL_CHARS = 8192

export class GitError extends Error {
  /** ENOSPC, EDQUOT or EIO when git's output says a write failed for lack of room or a bad device. */
  readonly code: string | undefined

  constructor(
    message: string,
    readonly exitCode: null | number,
    output = message,
  ) {
    super(message)
    this.code = storageErrnoInText(output)
  }
}

export interface GitRunOptions {
  cwd?: string
  onExit?: (pgid: number) => void
  /** Must not throw: abort the signal to stop git instead. */
  onSpawn?: (pgid: number) => void
  /** Each line git writes to stderr (progress lines end in \r, so they are split there too). */
  onStderrLine?: (line: string) => void
  signal?: AbortSignal
  /**
   * Stops git and fails when it writes nothing (stdout or stderr) for this long. With
   * `--progress`, a clone or fetch that receives data keeps writing; a silent one is stuck on a
   * remote that stopped answering, whatever the transport (http, ssh, git).
   */
  stallTimeoutMs?: number
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
    // Without /proc, livePidsInGroups finds none: the leader's exit is all there is to wait for.
    while (livePidsInGroups(new Set([pgid])).length > 0) await delay(GROUP_POLL_MS)
  } finally {
    clearTimeout(killTimer)
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

interface GitOutput {
  stderrTail: string
  stdout: string
}

/** Collects stdout and the tail of stderr, hands on each stderr line, and calls `onOutput` for any output. */
function collectOutput(
  child: {stderr: Readable; stdout: Readable},
  options: GitRunOptions,
  onOutput: () => void,
): GitOutput {
  const output: GitOutput = {stdout: '', stderrTail: ''}
  let partialLine = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    onOutput()
    output.stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    onOutput()
    output.stderrTail = (output.stderrTail + chunk).slice(-STDERR_TAIL_CHARS)
    const lines = (partialLine + chunk).split(/[\r\n]/)
    partialLine = lines.pop() ?? ''
    for (const line of lines) if (line.trim() !== '') options.onStderrLine?.(line)
  })
  return output
}

/**
 * Runs git in its own process group and returns its stdout. Callers pass `--` before URLs and
 * paths. On abort or a stall the group is terminated and the promise rejects once every process
 * is gone; a git that fails leaves no helper behind either.
 */
/** Git outside any job (start-up repairs, a dead node's sweep): no signal, no stall watch. */
export const plainGit = {
  git: (args: string[], options?: {cwd?: string}) => runGit(args, {cwd: options?.cwd}),
}

export async function runGit(args: string[], options: GitRunOptions = {}): Promise<string> {
  const {signal, stallTimeoutMs} = options
  if (signal?.aborted) throw abortError(signal)
  const child = spawn('git', args, {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: gitEnvironment(),
  })
  const exited = new Promise<{code: null | number; spawnError?: Error}>((resolve) => {
    child.once('error', (spawnError) => resolve({code: null, spawnError}))
    child.once('close', (code) => resolve({code}))
  })
  const pgid = child.pid
  let termination: Promise<void> | undefined
  const stop = () => {
    if (pgid !== undefined) termination ??= terminateGroup(pgid, exited)
  }

  let stalled = false
  const stallTimer =
    stallTimeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          stalled = true
          stop()
        }, stallTimeoutMs)
  const output = collectOutput(child, options, () => stallTimer?.refresh())
  // Listening first: onSpawn may abort the signal itself (when its bookkeeping cannot be stored).
  signal?.addEventListener('abort', stop, {once: true})
  try {
    if (pgid !== undefined) options.onSpawn?.(pgid)
    const {code, spawnError} = await exited
    clearTimeout(stallTimer)
    if (code !== 0) stop()
    if (termination) await termination
    if (signal?.aborted) throw abortError(signal)
    if (stalled)
      throw new GitError(`git ${args[0]} made no progress for ${(stallTimeoutMs ?? 0) / 1000} s and was stopped`, null)
    if (spawnError) throw new GitError(`could not run git: ${spawnError.message}`, null)
    if (code !== 0)
      throw new GitError(
        redactUrls(explanation(output.stderrTail) ?? `git ${args[0]} exited with code ${code}`),
        code,
        output.stderrTail,
      )
    return output.stdout
  } finally {
    clearTimeout(stallTimer)
    signal?.removeEventListener('abort', stop)
    if (pgid !== undefined) options.onExit?.(pgid)
  }
}

/** git's own explanation: the line naming a storage error, else the last `fatal:`/`error:` line, else the last line. */
function explanation(stderr: string): string | undefined {
  const lines = stderr
    .split(/[\r\n]/)
    .map((line) => line.trim())
    .filter(Boolean)
  return (
    lines.find((line) => storageErrnoInText(line)) ??
    lines.findLast((line) => /^(fatal|error):/.test(line)) ??
    lines.at(-1)
  )
}
