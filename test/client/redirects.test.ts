import {expect} from 'chai'

import {displayUrl} from '../../src/client/redirects.js'

describe('redirects: URLs as messages show them', () => {
  it('shows a URL without its user name, password, query or fragment', () => {
    expect(displayUrl('https://mallory:hunter22@evil.example:8443/collect?sig=s3cret&x=1#part')).to.equal(
      'https://evil.example:8443/collect?…',
    )
    expect(displayUrl(new URL('http://cidx.test/api/jobs'))).to.equal('http://cidx.test/api/jobs')
    expect(displayUrl('file:///etc/passwd')).to.equal('file:///etc/passwd')
  })

  it('redacts the secrets the client holds, and anything shaped like one, from the path', () => {
    expect(displayUrl('http://cidx.test/tokens/pa55word-123/x', ['pa55word-123'])).to.equal(
      'http://cidx.test/tokens/[REDACTED]/x',
    )
    expect(displayUrl('http://cidx.test/keys/cidx_sk_0123456789abcdef')).to.equal('http://cidx.test/keys/[REDACTED]')
  })
})
