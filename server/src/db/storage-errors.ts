/**
 * What counts as a storage error, decided here and nowhere else:
 * - `busy`: SQLite's locks are contended (SQLITE_BUSY*, SQLITE_LOCKED*); retrying soon helps.
 * - `full`: no room to write (SQLITE_FULL, ENOSPC, EDQUOT, from SQLite, fs calls or git).
 * - `io`: the device fails reads or writes, or the database cannot be written at all
 *   (SQLITE_IOERR*, SQLITE_READONLY*: a read-only file or filesystem, EIO).
 */
export type StorageFault = 'busy' | 'full' | 'io'

/** A storage problem as the server tracks it: found by its own check (no free space) or recorded from a failure. */
export class StorageError extends Error {
  constructor(
    readonly fault: Exclude<StorageFault, 'busy'>,
    message: string,
  ) {
    super(message)
  }
}

/** The errno codes that are storage errors, with the words strerror (and so git) uses for them. */
const ERRNOS: Record<string, {fault: StorageFault; text: string}> = {
  ENOSPC: {fault: 'full', text: 'No space left on device'},
  EDQUOT: {fault: 'full', text: 'Disk quota exceeded'},
  EIO: {fault: 'io', text: 'Input/output error'},
}

/** The storage errno code a message names: git reports a failed write in words, not with a code. */
export function storageErrnoInText(text: string): string | undefined {
  const lower = text.toLowerCase()
  return Object.keys(ERRNOS).find((code) => lower.includes(ERRNOS[code].text.toLowerCase()))
}

function codeOf(error: unknown): string | undefined {
  const code = (error as null | undefined | {code?: unknown})?.code
  return typeof code === 'string' ? code : undefined
}

/** The kind of storage error, or null for anything else. */
export function storageFault(error: unknown): null | StorageFault {
  if (error instanceof StorageError) return error.fault
  const code = codeOf(error)
  if (code === undefined) return null
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy'
  if (code === 'SQLITE_FULL') return 'full'
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY')) return 'io'
  return ERRNOS[code]?.fault ?? null
}

/**
 * A storage error in words fit for anyone (health is public): SQLite's own text, or the errno's
 * description, never the message of an fs call or git, which names paths.
 */
export function storageErrorSummary(error: unknown): string {
  const code = codeOf(error) ?? ''
  if (code.startsWith('SQLITE_')) return (error as Error).message
  return ERRNOS[code]?.text ?? (code || 'unknown error')
}

const FAULT_NAMES: Record<StorageFault, string> = {busy: 'Storage busy', full: 'Storage full', io: 'Storage I/O error'}

/** The one wording of a storage error (`Storage full: ...`), for jobs' errors and health alike; null for other errors. */
export function storageFailureMessage(error: StorageError): string
export function storageFailureMessage(error: unknown): null | string
export function storageFailureMessage(error: unknown): null | string {
  const fault = storageFault(error)
  if (fault === null) return null
  return `${FAULT_NAMES[fault]}: ${error instanceof Error ? error.message : String(error)}`
}
