import {expect} from 'chai'

import {normalizeServerUrl} from '../../src/auth/server-url.js'
import {CliError, UsageError} from '../../src/errors.js'

describe('server-url: normalizeServerUrl', () => {
  const cases: Array<[string, string]> = [
    ['http://localhost:8000', 'http://localhost:8000'],
    ['http://localhost:8000/', 'http://localhost:8000'],
    ['  https://CIDX.Example.com:443//  ', 'https://cidx.example.com'],
    ['https://example.com/cidx/', 'https://example.com/cidx'],
    ['http://[::1]:9000/', 'http://[::1]:9000'],
  ]
  for (const [raw, normalized] of cases) {
    it(`normalises ${JSON.stringify(raw)}`, () => {
      expect(normalizeServerUrl(raw, 'test')).to.equal(normalized)
    })
  }

  it('refuses other schemes', () => {
    expect(() => normalizeServerUrl('ftp://example.com', 'test')).to.throw(UsageError, 'only http:// and https://')
  })

  it('refuses text that is not a URL, suggesting the scheme', () => {
    let error: CliError | undefined
    try {
      normalizeServerUrl('cidx.example.com', '--server')
    } catch (error_) {
      error = error_ as CliError
    }

    expect(error).to.be.instanceOf(UsageError)
    expect(error!.message).to.equal('--server: "cidx.example.com" is not a URL')
    expect(error!.exitCode).to.equal(2)
  })

  it('refuses credentials in the URL without repeating them', () => {
    let error: CliError | undefined
    try {
      normalizeServerUrl('https://bob:hunter2@example.com', '--server')
    } catch (error_) {
      error = error_ as CliError
    }

    expect(error).to.be.instanceOf(UsageError)
    expect(JSON.stringify(error!.toJSON())).not.to.include('hunter2')
  })

  it('redacts credentials when quoting an unparsable URL', () => {
    expect(() => normalizeServerUrl('http://bob:hunter2@exa mple.com', 'x')).to.throw(
      UsageError,
      'http://***@exa mple.com',
    )
  })

  it('refuses a query or a fragment', () => {
    expect(() => normalizeServerUrl('https://example.com/?a=1', 'x')).to.throw(UsageError, 'query or a fragment')
    expect(() => normalizeServerUrl('https://example.com/#top', 'x')).to.throw(UsageError, 'query or a fragment')
  })
})
