/**
 * Failure reasons grouped by their shape: the same failure on another repository, job or file
 * differs only in its IDs, paths and numbers, so those are replaced by placeholders before
 * counting.
 */

import type {Job} from '../jobs/job.js'

export interface ErrorGroup {
  count: number
  /** The normalized text: IDs, paths and numbers replaced by `<id>`, `<path>`, `<n>`. */
  error: string
  /** The newest failed job with this reason. */
  example_job_id: string
}

/** How many reasons are reported. */
export const TOP_ERRORS = 5
/** The reason of a failed job that has no error text. */
export const NO_ERROR_TEXT = '(no error text)'
/** A reason is cut to this many characters: a server may send a whole traceback. */
const MAX_REASON_LENGTH = 200

const PLACEHOLDERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[a-z][\w+.-]*:\/\/\S+/gi, '<url>'],
  [/\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b/gi, '<id>'],
  // 32-hex IDs and commit hashes; a run of hex letters alone ("deadbeef" in prose) needs a digit.
  [/\b(?=[a-f]*\d)[\da-f]{7,64}\b/gi, '<id>'],
  [/(?:[a-z]:)?(?:[\\/][^\s\\/'"`,;:()[\]{}<>]+){2,}[\\/]?/gi, '<path>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
]

/** The shape of one error text: placeholders for what varies, whitespace collapsed, length capped. */
export function normalizeErrorText(text: null | string): string {
  let shape = (text ?? '').replaceAll(/\s+/g, ' ').trim()
  if (shape === '') return NO_ERROR_TEXT
  for (const [pattern, placeholder] of PLACEHOLDERS) shape = shape.replaceAll(pattern, placeholder)
  return shape.length > MAX_REASON_LENGTH ? `${shape.slice(0, MAX_REASON_LENGTH - 1)}…` : shape
}

/**
 * The most frequent reasons among `failed` jobs given newest first: count descending, then the
 * text in code-point order, so equal counts come out the same on every run and on both paths.
 */
export function topErrors(jobsNewestFirst: readonly Job[], limit: number = TOP_ERRORS): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>()
  for (const job of jobsNewestFirst) {
    if (job.status !== 'failed') continue
    const error = normalizeErrorText(job.error_message)
    const group = groups.get(error)
    if (group) group.count++
    else groups.set(error, {error, count: 1, example_job_id: job.job_id})
  }

  return [...groups.values()]
    .sort((a, b) => b.count - a.count || (a.error < b.error ? -1 : a.error > b.error ? 1 : 0))
    .slice(0, limit)
}
