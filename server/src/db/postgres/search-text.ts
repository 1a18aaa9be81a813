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

/** The words of a file (its path, then its text) joined by spaces, for `to_tsvector('simple', ...)`. */
export function searchableText(path: string, text: string): string {
  return fold(`${path} ${text}`).replaceAll(SEPARATORS, ' ').trim()
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
