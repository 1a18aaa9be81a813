/**
 * The one table of exit codes every command uses: each code's name, number and meaning. The EXIT
 * CODES section of every --help and the README's table are generated from it.
 * Errors carry their code; commands that wait map job outcomes through `exitCodeForStatus`.
 */
const EXIT_CODE_TABLE = {
  OK: [0, 'success'],
  ERROR: [1, 'unexpected error, or an error of the server (5xx, an answer that breaks the contract)'],
  USAGE: [2, 'usage error: unknown flag, bad value, an ID prefix too short or ambiguous, a question nobody can answer'],
  AUTH: [3, 'authentication: nothing configured, credentials rejected, session expired beyond renewal'],
  NOT_FOUND: [4, 'job not found, or not yours'],
  NETWORK: [5, 'network: server unreachable, timeout, TLS, or no CIDX server API at that URL (wrong path or port)'],
  CONFLICT: [6, 'conflict: the job cannot be cancelled (already finished), a duplicate job'],
  JOB_FAILED: [10, 'the job failed (commands that wait: --exit-status, status --wait)'],
  JOB_CANCELLED: [11, 'the job was cancelled (commands that wait)'],
  JOB_PARTIAL: [12, 'the job completed partially (commands that wait)'],
  DEGRADED: [13, 'the server reports itself degraded (jobs health)'],
  UNHEALTHY: [14, 'the server reports itself unhealthy, or any status but healthy and degraded (jobs health)'],
  TIMEOUT: [124, 'waiting timed out (--timeout)'],
  INTERRUPTED: [130, 'interrupted (Ctrl-C)'],
} as const

type ExitCodeName = keyof typeof EXIT_CODE_TABLE

/** Each code by name: `ExitCode.NOT_FOUND` is 4. */
export const ExitCode = Object.fromEntries(Object.entries(EXIT_CODE_TABLE).map(([name, [code]]) => [name, code])) as {
  readonly [Name in ExitCodeName]: (typeof EXIT_CODE_TABLE)[Name][0]
}

/** Every code with its meaning, in the table's order (for --help and the README). */
export const EXIT_CODES: readonly {code: number; meaning: string}[] = Object.values(EXIT_CODE_TABLE).map(
  ([code, meaning]) => ({code, meaning}),
)

/** The EXIT CODES section of --help: one code a line, the meanings aligned. */
export function exitCodesHelp(): string {
  const width = Math.max(...EXIT_CODES.map(({code}) => String(code).length))
  return EXIT_CODES.map(({code, meaning}) => `${String(code).padEnd(width)}  ${meaning}`).join('\n')
}

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** How a finished job's status maps to the exit code of `--exit-status`/`--wait`. */
export function exitCodeForStatus(status: string): ExitCodeValue {
  switch (status) {
    case 'cancelled': {
      return ExitCode.JOB_CANCELLED
    }

    case 'completed': {
      return ExitCode.OK
    }

    case 'completed_partial': {
      return ExitCode.JOB_PARTIAL
    }

    case 'failed': {
      return ExitCode.JOB_FAILED
    }

    default: {
      return ExitCode.ERROR
    }
  }
}

/** Severity order used when several outcomes compete for one exit code ("the worst one wins"). */
const SEVERITY: readonly number[] = [
  ExitCode.OK,
  ExitCode.JOB_PARTIAL,
  ExitCode.JOB_CANCELLED,
  ExitCode.JOB_FAILED,
  ExitCode.DEGRADED,
  ExitCode.UNHEALTHY,
  ExitCode.CONFLICT,
  ExitCode.NOT_FOUND,
  ExitCode.TIMEOUT,
  ExitCode.ERROR,
  ExitCode.NETWORK,
  ExitCode.AUTH,
  ExitCode.USAGE,
  ExitCode.INTERRUPTED,
]

export function worstExitCode(codes: Iterable<number>): number {
  let worst: number = ExitCode.OK
  for (const code of codes) {
    if (SEVERITY.indexOf(code) > SEVERITY.indexOf(worst)) worst = code
  }

  return worst
}
