import {expect} from 'chai'

import {toCliError} from '../src/base-command.js'
import {InternalError, NotFoundError, UsageError} from '../src/errors.js'

describe('errors', () => {
  describe("the CLI's own bugs: kind internal", () => {
    it('a TypeError is an internal error, exit 1, that says it is a bug in cidx and how to see the stack', () => {
      const bug = new TypeError("Cannot read properties of undefined (reading 'job_id')")
      const error = toCliError(bug)
      expect(error).to.be.instanceOf(InternalError)
      expect(error.cause).to.equal(bug)
      expect(error.toJSON()).to.deep.equal({
        error: {
          kind: 'internal',
          message:
            "Internal error: Cannot read properties of undefined (reading 'job_id') (a bug in cidx; DEBUG=cidx shows the stack)",
          exit_code: 1,
        },
      })
    })

    it('so is a thrown value that is not an Error', () => {
      expect(toCliError('oops').toJSON().error).to.deep.include({
        kind: 'internal',
        message: 'Internal error: oops (a bug in cidx; DEBUG=cidx shows the stack)',
      })
    })

    it('typed errors stay as they are', () => {
      const notFound = new NotFoundError('Job not found: x', {status: 404})
      expect(toCliError(notFound)).to.equal(notFound)
      expect(toCliError(new UsageError('bad')).kind).to.equal('usage')
    })
  })
})
