import {expect} from 'chai'

import {safeJson, safeText} from '../../src/ui/safe-text.js'
import {truncate, visibleWidth} from '../../src/ui/text-width.js'
import {ATTACKS, expectNoRawControls, HOSTILE, RAW_CONTROL} from '../helpers/fixtures/hostile-text.js'

/** Every BMP code point (surrogates aside) with the given Unicode property. */
function codePointsWith(property: RegExp): string[] {
  const chars: string[] = []
  for (let code = 0; code <= 0xff_ff; code++) {
    if (code >= 0xd8_00 && code <= 0xdf_ff) continue
    const char = String.fromCodePoint(code)
    if (property.test(char)) chars.push(char)
  }

  return chars
}

describe('lib/safe-text', () => {
  describe('safeText', () => {
    it(String.raw`writes C0 controls, DEL and C1 controls out as \xHH, and newline, CR and tab by name`, () => {
      expect(safeText('a\u001B[2Jb')).to.equal(String.raw`a\x1b[2Jb`)
      expect(safeText(ATTACKS.title)).to.equal(String.raw`\x1b]0;pwned\x07`)
      expect(safeText('\u0000\u0008\u007F')).to.equal(String.raw`\x00\x08\x7f`)
      expect(safeText(ATTACKS.c1Csi)).to.equal(String.raw`\x9b31m`)
      expect(safeText('\u0085\u009D\u0090')).to.equal(String.raw`\x85\x9d\x90`)
      expect(safeText('one\ntwo\r\tthree')).to.equal(String.raw`one\ntwo\r\tthree`)
    })

    it(String.raw`writes bidi and invisible formatting characters out as \uHHHH`, () => {
      expect(safeText('\u202Eevil\u202C')).to.equal(String.raw`\u202eevil\u202c`)
      for (const char of [
        '\u202A',
        '\u202B',
        '\u202D',
        '\u2066',
        '\u2067',
        '\u2068',
        '\u2069',
        '\u200E',
        '\u200F',
        '\u061C',
      ]) {
        expect(safeText(char)).to.equal(`\\u${char.codePointAt(0)!.toString(16).padStart(4, '0')}`)
      }

      expect(safeText('a\u200Bb\u2028c\u2029d\u2060e\uFEFF')).to.equal(String.raw`a\u200bb\u2028c\u2029d\u2060e\ufeff`)
    })

    it('leaves no control and no bidi control of all Unicode raw (by property, not by our list)', () => {
      const dangerous = codePointsWith(/[\p{Cc}\p{Bidi_Control}]/u)
      expect(dangerous.length).to.be.above(65)
      for (const char of dangerous) {
        const shown = safeText(`x${char}y`)
        expect(shown, `U+${char.codePointAt(0)!.toString(16)}`).to.match(/^x\\[xu][\da-f]+y$|^x\\[nrt]y$/)
      }

      expectNoRawControls(safeText(dangerous.join('')), 'every control at once')
    })

    it('keeps line breaks when asked (multiline), and escapes everything else there all the same', () => {
      expect(safeText('clone failed\nfatal: not found', {multiline: true})).to.equal('clone failed\nfatal: not found')
      expect(safeText(`a\r\n${ATTACKS.clearScreen}b\u202E`, {multiline: true})).to.equal('a\\r\n\\x1b[2Jb\\u202e')
    })

    it('leaves ordinary text alone: accents, CJK, emoji (joined ones and flags too), RTL script, backslashes', () => {
      const texts = [
        'Crème brûlée à São Paulo',
        '東京の倉庫 リポジトリ',
        '👩‍💻 deploy 🇩🇪 🏴󠁧󠁢󠁳󠁣󠁴󠁿 ✔ ● ░▌█',
        'مرحبا بالعالم',
        'می‌خواهم',
        String.raw`C:\repos\backend and a literal \x1b`,
        'ID  TYPE  STATUS',
      ]
      for (const text of texts) {
        expect(safeText(text)).to.equal(text)
        expect(safeText(text, {multiline: true})).to.equal(text)
      }
    })

    it('makes escaped text take the width it shows (nothing zero-width left for a table to miscount)', () => {
      const cell = `repo${ATTACKS.clearScreen}${ATTACKS.title}`
      const shown = safeText(cell)
      expect(visibleWidth(shown)).to.equal(shown.length)
      expect(visibleWidth(shown)).to.equal(String.raw`repo\x1b[2J\x1b]0;pwned\x07`.length)
      // Cutting it to a width leaves no half escape sequence behind: it is plain text.
      expectNoRawControls(truncate(shown, 12), 'a cut cell')
      expect(truncate(shown, 12)).to.equal(String.raw`repo\x1b[2J…`)
    })
  })

  describe('safeJson', () => {
    const value = {
      error: `failed${HOSTILE}`,
      nested: {list: [ATTACKS.c1Csi, 'plain', 'Crème 東京 👩‍💻'], detail: `a\nb\tc\u0085\u2028`},
      count: 3,
      none: null,
    }

    it(
      String.raw`carries no raw control or bidi character: C0 as JSON.stringify writes it, C1 and bidi as \uHHHH too`,
      () => {
        const text = safeJson(value)
        expectNoRawControls(text, 'the JSON')
        expect(text).to.contain(String.raw`\u001b]0;pwned\u0007`)
        expect(text)
          .to.contain(String.raw`\u009b31m`)
          .and.contain(String.raw`\u202eevil\u202c`)
          .and.contain(String.raw`\u0085\u2028`)
        expect(text).to.contain('Crème 東京 👩‍💻')
      },
    )

    it('parses back to the original strings, indented or not', () => {
      expect(JSON.parse(safeJson(value))).to.deep.equal(value)
      const indented = safeJson(value, 2)
      expect(indented.split('\n').length).to.be.above(5)
      expect(RAW_CONTROL.test(indented)).to.equal(false)
      expect(JSON.parse(indented)).to.deep.equal(value)
    })

    it('writes what JSON.stringify writes when there is nothing to escape', () => {
      const plain = {job_id: 'abc', list: [1, 'two'], text: 'Crème 東京'}
      expect(safeJson(plain, 2)).to.equal(JSON.stringify(plain, null, 2))
    })
  })
})
