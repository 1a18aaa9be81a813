/**
 * Failure reasons grouped by their shape, exactly as the CLI groups the jobs a listing shows
 * (`jobs stats`): the same failure on another repository, job or file differs only in its IDs,
 * paths and numbers, so those are replaced by placeholders before counting. The CLI passes these
 * groups through, so both sides must agree; a test runs the same jobs through both.
 */

export interface ErrorGroup {
  count: number
  error: string
  example_job_id: string
}

/** One distinct error text of the failed jobs of a window, with its newest job. */
export interface ErrorText {
  count: number
  error: null | string
  newest_created_us: number
  newest_job_id: string
  newest_seq: number
}

const TOP_ERRORS = 5
const NO_ERROR_TEXT = '(no error text)'
const MAX_REASON_LENGTH = 200

const PLACEHOLDERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b[a-z][\w+.-]*:\/\/\S+/gi, '<url>'],
  [/\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b/gi, '<id>'],
  // 32-hex IDs and commit hashes; a run of hex letters alone ("deadbeef" in prose) needs a digit.
  [/\b(?=[a-f]*\d)[\da-f]{7,64}\b/gi, '<id>'],
  [/(?:[a-z]:)?(?:[\\/][^\s\\/'"`,;:()[\]{}<>]+){2,}[\\/]?/gi, '<path>'],
  [/\d+(?:\.\d+)?/g, '<n>'],
]

function errorShape(text: null | string): string {
  let shape = (text ?? '').replaceAll(/\s+/g, ' ').trim()
  if (shape === '') return NO_ERROR_TEXT
  for (const [pattern, placeholder] of PLACEHOLDERS) shape = shape.replaceAll(pattern, placeholder)
  return shape.length > MAX_REASON_LENGTH ? `${shape.slice(0, MAX_REASON_LENGTH - 1)}…` : shape
}

function isNewer(a: ErrorText, b: ErrorText): boolean {
  return (
    a.newest_created_us > b.newest_created_us ||
    (a.newest_created_us === b.newest_created_us && a.newest_seq > b.newest_seq)
  )
}

/** The most frequent shapes: count descending, then the text in code-point order. */
export function topErrorShapes(texts: readonly ErrorText[]): ErrorGroup[] {
  const groups = new Map<string, {count: number; newest: ErrorText}>()
  for (const text of texts) {
    const error = errorShape(text.error)
    const group = groups.get(error)
    if (group) {
      group.count += text.count
      if (isNewer(text, group.newest)) group.newest = text
    } else groups.set(error, {count: text.count, newest: text})
  }

  return [...groups]
    .map(([error, group]) => ({error, count: group.count, example_job_id: group.newest.newest_job_id}))
    .sort((a, b) => b.count - a.count || (a.error < b.error ? -1 : a.error > b.error ? 1 : 0))
    .slice(0, TOP_ERRORS)
}
