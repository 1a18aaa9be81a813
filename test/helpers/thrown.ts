import {expect} from 'chai'

import {UsageError} from '../../src/errors.js'

/** The UsageError `fn` throws; fails the test when it throws nothing or something else. */
export function thrownUsageError(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError)
    return error as UsageError
  }

  throw new Error('expected a UsageError')
}
