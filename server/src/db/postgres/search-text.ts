/**
 * Words as SQLite's FTS5 (its default `unicode61` tokenizer) sees them, for PostgreSQL's
 * `simple` text search. PostgreSQL's parser keeps `src/main.ts` or `hello.world` as one token
 * (a file or host name) where FTS5 finds `src`, `main`, `ts`; and with the C locale it folds the
 * case of ASCII letters only. Both sides (the indexed text and the query) go through here first,
 * so a word matches in PostgreSQL where it matches in FTS5.
 */

/** FTS5's token characters: letters, numbers and private-use characters; everything else separates. */
const SEPARATORS = /[^\p{L}\p{N}\p{Co}]+/gu
/** As above, but keeping what `websearch_to_tsquery` reads: quotes and a leading `-`. */
const QUERY_SEPARATORS = /[^\p{L}\p{N}\p{Co}\s"-]+/gu
/** A `-` inside a word separates (FTS5); only one at a word's start negates it (websearch). */
const INNER_DASH = /(?<=[^\s"])-+|-+(?=[\s"]|$)/g
const COMBINING_MARKS = /\p{Mn}+/gu

/** Lower case without diacritics, as unicode61's `remove_diacritics` folds them. */
function fold(text: string): string {
  return text.normalize('NFD').replaceAll(COMBINING_MARKS, '').normalize('NFC').toLowerCase()
}

/** PostgreSQL refuses a tsvector past 1 MiB (and the whole batch with it): the words are cut below that. */
const TSVECTOR_BUDGET = 1_000_000
/** to_tsvector skips longer words; a word keeps at most this many positions. */
const MAX_WORD_BYTES = 2047
const MAX_POSITIONS = 256
/** Shorter texts cannot reach the budget: a word costs under 5 per byte of it (with its space), a character is at most 3 bytes. */
const SURELY_WITHIN = TSVECTOR_BUDGET / 15

/**
 * The words of a file (its path, then its text) joined by spaces, for `to_tsvector('simple', ...)`.
 * A text with more distinct words than a tsvector holds (a 1 MiB list of hashes) keeps the words
 * that fit, in order, rather than failing its batch (FTS5 has no such limit).
 */
export function searchableText(path: string, text: string): string {
  return withinBudget(fold(`${path} ${text}`).replaceAll(SEPARATORS, ' ').trim())
}

/** What a word adds to a tsvector: a new one its bytes and 8 (entry, count, position), a repeat 2, a skipped one 0. */
function wordCost(word: string, seen: number): number {
  const bytes = Buffer.byteLength(word)
  if (bytes > MAX_WORD_BYTES || seen >= MAX_POSITIONS) return 0
  return seen === 0 ? bytes + 8 : 2
}

/** The leading words whose tsvector fits. */
function withinBudget(words: string): string {
  if (words.length <= SURELY_WITHIN) return words
  const positions = new Map<string, number>()
  let cost = 0
  let end = 0
  for (const word of words.split(' ')) {
    const seen = positions.get(word) ?? 0
    cost += wordCost(word, seen)
    if (cost > TSVECTOR_BUDGET) return words.slice(0, Math.max(0, end - 1))
    positions.set(word, seen + 1)
    end += word.length + 1
  }

  return words
}

/**
 * A search's words the same way, keeping the quotes, `OR` and `-word` that `websearch_to_tsquery`
 * reads. Only an upper-case `OR` is an operator, as in FTS5: any other case is a word.
 */
export function searchableQuery(query: string): string {
  const words = query.split(/(\s+)/).map((word) => (word === 'OR' ? word : quoteOr(fold(word))))
  return words.join('').replaceAll(QUERY_SEPARATORS, ' ').replaceAll(INNER_DASH, ' ').trim()
}

/** websearch_to_tsquery takes `or` in any case as the operator: a folded word `or` is quoted to stay a word. */
function quoteOr(word: string): string {
  return word === 'or' ? '"or"' : word
}

/** PostgreSQL's text cannot hold NUL, which a text file may have past the indexer's binary sniff. */
export function storableText(text: string): string {
  return text.replaceAll('\u0000', '\uFFFD')
}
