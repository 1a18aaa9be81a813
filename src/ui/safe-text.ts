/**
 * Server text made harmless for a terminal. Whatever a server sends (job fields, error details,
 * user names) is untrusted: an escape sequence in it could retitle the window, clear the screen,
 * move the cursor or plant a hyperlink, and a bidi override could make text read otherwise than
 * it is stored. Text for people goes through `safeText`, JSON through `safeJson`.
 */

/** Controls: C0 (ESC, BEL, newline...). JSON.stringify escapes these already. */
const C0 = String.raw`\u0000-\u001f`
/**
 * DEL and the C1 controls (CSI U+009B, OSC U+009D, NEL U+0085...); the bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A-E, U+2066-9) and the deprecated format
 * characters after them (U+206A-F); characters that are invisible or break lines without being
 * a newline: zero-width space, line and paragraph separators, word joiner and invisible
 * operators, byte order mark, interlinear annotation marks. The zero-width joiners
 * (U+200C/D) are left alone: emoji and several scripts need them.
 */
const BEYOND_C0 = String.raw`\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb`

const UNSAFE = new RegExp(`[${C0}${BEYOND_C0}]`, 'g')
const UNSAFE_IN_JSON = new RegExp(`[${BEYOND_C0}]`, 'g')

const NAMED: Readonly<Record<string, string>> = {'\n': String.raw`\n`, '\r': String.raw`\r`, '\t': String.raw`\t`}

function hex(char: string, digits: number): string {
  return char.codePointAt(0)!.toString(16).padStart(digits, '0')
}

/** `\x1b` for a control (C0, DEL, C1), `\u202e` for a formatting character. */
function visibleEscape(char: string): string {
  return NAMED[char] ?? (char <= '\u00FF' ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`)
}

export interface SafeTextOptions {
  /**
   * Keep line breaks: for text shown on lines of its own (an error in full, a job's details).
   * A table cell, a task title or a one-line message shows them as `\n`.
   */
  multiline?: boolean
}

/**
 * The text with every control and bidi/invisible formatting character written out as a visible
 * escape (`\x1b`, `\x9b`, `\u202e`); everything else (accents, CJK, emoji) as it is. Escape
 * before colouring: our own colour codes are added after and stay intact.
 */
export function safeText(text: string, options: SafeTextOptions = {}): string {
  return text.replaceAll(UNSAFE, (char) => (char === '\n' && options.multiline ? char : visibleEscape(char)))
}

/**
 * JSON text that carries no raw control or bidi character: JSON.stringify escapes C0 (`\u001b`),
 * and this escapes the rest the same way (`\u009b`, `\u202e`), so `JSON.parse` gives back the
 * original strings. Those characters can only stand inside strings: JSON's own syntax is ASCII.
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replaceAll(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`)
}
