/**
 * The one table of exit codes every command uses (also in the README).
 * Errors carry their code; commands that wait map job outcomes through `exitCodeForStatus`.
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  AUTH: 3,
  NOT_FOUND: 4,
  NETWORK: 5,
  CONFLICT: 6,
  JOB_FAILED: 10,
  JOB_CANCELLED: 11,
  JOB_PARTIAL: 12,
  TIMEOUT: 124,
  INTERRUPTED: 130,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** How a finished job's status maps to the exit code of `--exit-status`/`--wait`. */
export function exitCodeForStatus(status: string): ExitCodeValue {
  switch (status) {
    case 'completed':
      return ExitCode.OK
    case 'failed':
      return ExitCode.JOB_FAILED
    case 'cancelled':
      return ExitCode.JOB_CANCELLED
    case 'completed_partial':
      return ExitCode.JOB_PARTIAL
    default:
      return ExitCode.ERROR
  }
}

/** Severity order used when several outcomes compete for one exit code ("the worst one wins"). */
const SEVERITY: readonly number[] = [
  ExitCode.OK,
  ExitCode.JOB_PARTIAL,
  ExitCode.JOB_CANCELLED,
  ExitCode.JOB_FAILED,
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
