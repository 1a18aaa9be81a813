import {expect} from 'chai'

import {toCliError} from '../src/base-command.js'
import {asSentence, errorText, InternalError, InterruptedError, NotFoundError, UsageError} from '../src/errors.js'

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

  describe('what a person reads', () => {
    it('the message ends as a sentence after "Error: ", the hint on a line of its own', () => {
      expect(errorText(new UsageError('No server to log in to', {hint: 'Use `cidx login --server URL`'}))).to.equal(
        'Error: No server to log in to.\nUse `cidx login --server URL`.',
      )
      expect(errorText(new NotFoundError('No job found for "x".'))).to.equal('Error: No job found for "x".')
    })

    it('Ctrl-C is no error: its message stands alone', () => {
      expect(errorText(new InterruptedError())).to.equal('Interrupted.')
      expect(errorText(new InterruptedError('Stopped watching (the jobs keep running).'))).to.equal(
        'Stopped watching (the jobs keep running).',
      )
    })

    it('a sentence keeps its own punctuation, and a list of several lines stays as it is', () => {
      expect(asSentence('Are you sure?')).to.equal('Are you sure?')
      expect(asSentence('The server failed (HTTP 500)')).to.equal('The server failed (HTTP 500).')
      expect(asSentence('"ab" matches 2 jobs:\n  ab01\n  ab02\n')).to.equal('"ab" matches 2 jobs:\n  ab01\n  ab02')
    })
  })
})
