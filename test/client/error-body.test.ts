import {expect} from 'chai'

import {errorMessageFromBody, retryAfterFromBody, shortenForPeople} from '../../src/client/error-body.js'

const CORRELATION = {correlation_id: '5b1e0a7e-2f43-4c55-9f3a-0d6a3b1c2d4e', timestamp: '2026-11-28T09:14:02.481Z'}

describe('error-body: the three error shapes of a CIDX server', () => {
  describe('1. handler errors: {"detail": ...}', () => {
    const cases: Array<[string, unknown, null | string]> = [
      ['a string', {detail: 'Job not found: 3f0c9a52'}, 'Job not found: 3f0c9a52'],
      [
        'an object with guidance',
        {detail: {error: 'Repository is busy', guidance: 'Wait for the sync to finish.'}},
        'Repository is busy (Wait for the sync to finish.)',
      ],
      ['an object with a message and no guidance', {detail: {message: 'Quota exceeded', code: 17}}, 'Quota exceeded'],
      ['an object with a nested detail', {detail: {detail: 'Nested words'}}, 'Nested words'],
      ['an object with empty guidance', {detail: {error: 'Busy', guidance: ''}}, 'Busy'],
      [
        'a list of FastAPI items',
        {detail: [{loc: ['body', 'username'], msg: 'Field required', type: 'missing'}]},
        'username: Field required',
      ],
      ['a list of strings', {detail: ['first problem', 'second problem']}, 'first problem; second problem'],
      ['a list with an item without words', {detail: [{loc: ['query', 'x']}, {msg: 'no location'}, 42]}, 'no location'],
      ['an empty list', {detail: []}, null],
      ['a blank string', {detail: '  '}, null],
      ['a number', {detail: 42}, null],
    ]
    for (const [what, body, expected] of cases) {
      it(`reads ${what}`, () => {
        expect(errorMessageFromBody(body)).to.equal(expected)
      })
    }
  })

  describe('2. the 422 validation envelope', () => {
    const envelope = {
      error: 'validation_error',
      message: 'Request validation failed. Check the request parameters.',
      detail: [
        {
          loc: ['query', 'limit'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          type: 'int_parsing',
          input: 'abc',
        },
      ],
      ...CORRELATION,
      details: {
        field_errors: [
          {
            field: 'query.limit',
            message: 'Input should be a valid integer',
            rejected_value: 'abc',
            error_type: 'int_parsing',
          },
        ],
        error_count: 1,
      },
    }

    it('names the field and the problem from field_errors', () => {
      expect(errorMessageFromBody(envelope)).to.equal('query.limit: Input should be a valid integer')
    })

    it('falls back to the FastAPI list when field_errors is missing', () => {
      const {details, ...withoutDetails} = envelope
      expect(details.error_count).to.equal(1)
      expect(errorMessageFromBody(withoutDetails)).to.equal(
        'query.limit: Input should be a valid integer, unable to parse string as an integer',
      )
    })

    it('falls back to the message, then to a generic phrase', () => {
      expect(
        errorMessageFromBody({
          error: 'validation_error',
          message: 'Request validation failed.',
          details: {field_errors: []},
        }),
      ).to.equal('Request validation failed.')
      expect(errorMessageFromBody({error: 'validation_error'})).to.equal('Request validation failed')
    })
  })

  describe('3. the 500/503 envelope without detail', () => {
    it('reads the message of a 500', () => {
      const body = {
        error: 'internal_server_error',
        message: 'An internal server error occurred. Reference the correlation id.',
        ...CORRELATION,
      }
      expect(errorMessageFromBody(body)).to.equal('An internal server error occurred. Reference the correlation id.')
    })

    it('reads the error code when there is no message', () => {
      expect(errorMessageFromBody({error: 'service_unavailable', retry_after: 5})).to.equal('service unavailable')
    })

    it('reads retry_after of a 503 and retry_after_seconds of a 429', () => {
      expect(retryAfterFromBody({error: 'service_unavailable', message: 'Storage is busy', retry_after: 5})).to.equal(5)
      expect(retryAfterFromBody({detail: 'Server at capacity, try later', retry_after_seconds: 2.5})).to.equal(2.5)
    })

    it('ignores retry values that are not a usable number of seconds', () => {
      for (const body of [
        {retry_after: '5'},
        {retry_after: -1},
        {retry_after_seconds: Number.POSITIVE_INFINITY},
        {},
        null,
        'text',
        [5],
      ]) {
        expect(retryAfterFromBody(body), JSON.stringify(body)).to.equal(null)
      }
    })
  })

  describe('bodies that are not JSON objects', () => {
    const cases: Array<[unknown, null | string]> = [
      ['  Bad gateway  ', 'Bad gateway'],
      ['', null],
      [null, null],
      [[{msg: 'a list at the top'}], null],
      [{}, null],
      [{message: ''}, null],
    ]
    for (const [body, expected] of cases) {
      it(`${JSON.stringify(body)} → ${JSON.stringify(expected)}`, () => {
        expect(errorMessageFromBody(body)).to.equal(expected)
      })
    }
  })

  describe('shortenForPeople: what a person is shown of a server text', () => {
    it('keeps a text of up to 1000 characters as it is', () => {
      const text = 'a'.repeat(1000)
      expect(shortenForPeople(text)).to.equal(text)
    })

    it('cuts a longer one to its first 1000 characters and says how many were cut', () => {
      expect(shortenForPeople(`${'b'.repeat(1000)}tail`)).to.equal(`${'b'.repeat(1000)}… (4 characters cut)`)
    })

    it('never cuts a character in half', () => {
      // 999 letters, then emoji (two UTF-16 units each): the 1000th unit is the first half of one.
      const shortened = shortenForPeople(`${'c'.repeat(999)}${'😀'.repeat(3)}`)
      expect(shortened).to.equal(`${'c'.repeat(999)}… (6 characters cut)`)
    })
  })
})
