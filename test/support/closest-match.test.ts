import {expect} from 'chai'

import {closestMatch} from '../../src/support/closest-match.js'

describe('closest-match', () => {
  const commands = ['jobs:list', 'jobs:status', 'jobs:stats', 'jobs:watch', 'login', 'logout']

  it('finds the name a letter off, two letters swapped, or one missing', () => {
    expect(closestMatch('jobs:lst', commands)).to.equal('jobs:list')
    expect(closestMatch('jobs:stauts', commands)).to.equal('jobs:status')
    expect(closestMatch('jobs:wacth', commands)).to.equal('jobs:watch')
    expect(closestMatch('JOBS:LIST', commands)).to.equal('jobs:list')
  })

  it('prefers the nearest, the first of equals', () => {
    expect(closestMatch('jobs:stat', commands)).to.equal('jobs:stats')
    expect(closestMatch('jobs:stauts', commands)).to.equal('jobs:status')
    expect(closestMatch('logut', commands)).to.equal('logout')
    expect(closestMatch('login', commands)).to.equal('login')
  })

  it('suggests nothing when nothing is near', () => {
    expect(closestMatch('frobnicate', commands)).to.equal(undefined)
    expect(closestMatch('x', ['yz'])).to.equal(undefined)
    expect(closestMatch('jobs:list', [])).to.equal(undefined)
  })
})
