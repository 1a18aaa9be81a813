import {expect} from 'chai'

import {expiryOfClaims, jwtClaims} from '../../src/auth/jwt.js'
import {fakeJwt} from '../helpers/fixtures/fake-jwt.js'

describe('jwt', () => {
  it('reads the claims of a JWT and rejects what is not one', () => {
    expect(jwtClaims(fakeJwt({username: 'a', exp: 1.5}))).to.deep.equal({username: 'a', exp: 1.5})
    expect(jwtClaims('cidx_sk_0123')).to.equal(null)
    expect(jwtClaims('a.!!!.c')).to.equal(null)
    expect(jwtClaims(`a.${Buffer.from('[1]').toString('base64url')}.c`)).to.equal(null)
  })

  it('reads the expiry as epoch ms from `exp` in seconds (a float on a real server); none without a finite number', () => {
    expect(expiryOfClaims({exp: 1_764_000_000.4567})).to.equal(1_764_000_000_457)
    expect(expiryOfClaims({exp: '1764000000'})).to.equal(null)
    expect(expiryOfClaims({exp: Number.POSITIVE_INFINITY})).to.equal(null)
    expect(expiryOfClaims({})).to.equal(null)
    expect(expiryOfClaims(null)).to.equal(null)
  })
})
