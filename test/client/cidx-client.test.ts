import {expect} from 'chai'
import nock from 'nock'

import {client, loginAnswer, PASSWORD, SERVER, tokenExpiringIn, useNock} from '../helpers/fixtures/client-fixtures.js'

describe('CidxClient', () => {
  useNock()

  it('whoami reads the user and role from the token; an API key has no role', async () => {
    nock(SERVER)
      .post('/auth/login')
      .reply(200, loginAnswer(tokenExpiringIn(600, {username: 'bob', role: 'admin'})))
    expect(await client({username: 'bob', password: PASSWORD}).whoami()).to.deep.equal({username: 'bob', role: 'admin'})
    expect(
      await client({staticToken: 'cidx_sk_0123456789abcdef0123456789abcdef', username: 'ci'}).whoami(),
    ).to.deep.equal({username: 'ci', role: 'unknown'})
    expect(await client({staticToken: 'cidx_sk_0123456789abcdef0123456789abcdef'}).whoami()).to.deep.equal({
      username: 'unknown',
      role: 'unknown',
    })
  })
})
