import {expect} from 'chai'

import {redactUrls} from '../../src/repos/layout.js'

describe('server: redactUrls', () => {
  it('hides the whole userinfo, up to the last @ before the host', () => {
    expect(redactUrls('http://user:p@ss@host/repo.git')).to.equal('http://***@host/repo.git')
    expect(redactUrls("fatal: unable to access 'https://u:a@b@c@127.0.0.1:9/r.git/': refused")).to.equal(
      "fatal: unable to access 'https://***@127.0.0.1:9/r.git/': refused",
    )
    expect(redactUrls('https://token@github.com')).to.equal('https://***@github.com')
  })

  it('hides the values of query parameters named like secrets, and only those', () => {
    expect(redactUrls('https://host/r.git?token=SECRET&page=2')).to.equal('https://host/r.git?token=***&page=2')
    expect(
      redactUrls('https://host/r?Access_Token=a&private_token=b;password=c&api_key=d&X-Amz-Signature=e#top'),
    ).to.equal('https://host/r?Access_Token=***&private_token=***;password=***&api_key=***&X-Amz-Signature=***#top')
    expect(redactUrls("Cloning 'https://host/r?key=k1' failed")).to.equal("Cloning 'https://host/r?key=***' failed")
  })

  it('leaves URLs without credentials as they are', () => {
    for (const text of [
      'https://registry.example/@scope/pkg',
      'git@github.com:owner/repo.git',
      'file:///srv/a@b',
      'https://host/r?page=2&sort=name',
    ]) {
      expect(redactUrls(text)).to.equal(text)
    }
  })
})
