import {expect} from 'chai'

import {chooseRenderMode} from '../../src/watch/watch-render.js'

describe('watch-render', () => {
  describe('chooseRenderMode', () => {
    it('picks json when asked, listr2 on an animating terminal, plain lines otherwise', () => {
      expect(chooseRenderMode({json: true, animate: true})).to.equal('json')
      expect(chooseRenderMode({json: false, animate: true})).to.equal('tty')
      expect(chooseRenderMode({json: false, animate: false})).to.equal('plain')
    })
  })
})
