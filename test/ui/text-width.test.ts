import {expect} from 'chai'
import stringWidth from 'string-width'

import {painter, stripAnsi} from '../../src/ui/terminal.js'
import {ONE_COLUMN_RANGES, pad, truncate, visibleWidth} from '../../src/ui/text-width.js'

describe('text-width: measuring, cutting and padding', () => {
  it('strips colour and hyperlink sequences and counts the columns of what is left', () => {
    const text = `${painter(true)('green', '✔ done')} \u001B]8;;https://x.test\u0007link\u001B]8;;\u0007`
    expect(stripAnsi(text)).to.equal('✔ done link')
    expect(visibleWidth(text)).to.equal(11)
    expect(visibleWidth('████▌░')).to.equal(6)
  })

  it('truncates to the visible width with an ellipsis, keeping codes and resetting colour', () => {
    expect(truncate('repository', 20)).to.equal('repository')
    expect(truncate('repository', 6)).to.equal('repos…')
    expect(truncate('abc', 0)).to.equal('')
    const cut = truncate(painter(true)('blue', 'running job'), 5)
    expect(stripAnsi(cut)).to.equal('runn…')
    expect(cut.startsWith('\u001B[34m')).to.equal(true)
    expect(cut.endsWith('\u001B[0m')).to.equal(true)
  })

  it('counts the columns a terminal gives wide CJK characters, emoji and combining marks', () => {
    expect(visibleWidth('日本語')).to.equal(6)
    expect(visibleWidth(painter(true)('green', '✔ 완료'))).to.equal(6)
    expect(visibleWidth('👍 ok')).to.equal(5)
    expect(visibleWidth('👨‍👩‍👧')).to.equal(2)
    expect(visibleWidth('✔️')).to.equal(2)
    expect(visibleWidth('cafe\u0301')).to.equal(4)
    expect(visibleWidth('soft\u00ADhyphen')).to.equal(10)
  })

  it('cuts wide characters whole, never half of one or of an emoji sequence', () => {
    expect(truncate('日本語テキスト', 6)).to.equal('日本…')
    expect(truncate('ab日本', 4)).to.equal('ab…')
    expect(truncate('👨‍👩‍👧👨‍👩‍👧x', 4)).to.equal('👨‍👩‍👧…')
    const cut = truncate(painter(true)('blue', '日本語テキスト'), 7)
    expect(stripAnsi(cut)).to.equal('日本語…')
    expect(cut.endsWith('\u001B[0m')).to.equal(true)
  })

  it('counts the one-column characters as string-width does, without asking it', () => {
    for (const [first, last] of ONE_COLUMN_RANGES) {
      for (let codePoint = first; codePoint <= last; codePoint++) {
        const char = String.fromCodePoint(codePoint)
        if (/\p{Cc}/u.test(char)) continue
        expect(stringWidth(char), `U+${codePoint.toString(16)}`).to.equal(visibleWidth(char))
      }
    }
  })

  it('treats a lone escape character as text', () => {
    expect(truncate('\u001Bxyz-long', 4)).to.equal('\u001Bxy…')
  })

  it('pads to the visible width on either side', () => {
    const red = painter(true)('red', 'ab')
    expect(stripAnsi(pad(red, 5))).to.equal('ab   ')
    expect(pad('ab', 5, 'right')).to.equal('   ab')
    expect(pad('abcdef', 3)).to.equal('abcdef')
  })
})
