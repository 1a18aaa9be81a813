/** What the tests of `jobs top` share: numbered jobs, a view state, and a terminal's stdin and stdout. */
import {EventEmitter} from 'node:events'
import {PassThrough} from 'node:stream'

import type {Job} from '../../src/jobs/job.js'
import type {TopViewState} from '../../src/top/top-view.js'

import {TopModel} from '../../src/top/top-model.js'
import {makeJob} from '../helpers/fixtures/job-fixtures.js'

/** Job `n`: its ID starts with n in 8 digits, and it was created n minutes after 10:00 (a higher n is newer). */
export function numberedJob(n: number, overrides: Partial<Job> = {}): Job {
  const minute = String(n % 60).padStart(2, '0')
  const hour = String(10 + Math.floor(n / 60)).padStart(2, '0')
  return makeJob({
    job_id: `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`,
    created_at: `2026-11-28T${hour}:${minute}:00.000Z`,
    ...overrides,
  })
}

/** The n of numbered jobs. */
export const numbers = (jobs: Job[]) => jobs.map((one) => Number(one.job_id.slice(0, 8)))

/** The view of these jobs, nothing open, the server healthy. */
export function viewState(jobs: Job[], overrides: Partial<TopViewState> = {}): TopViewState {
  const model = new TopModel()
  for (const one of jobs) model.upsert(one)
  return {
    model,
    pane: 'list',
    prompt: undefined,
    message: 'Press ? for help.',
    showUser: false,
    status: {
      server: 'https://cidx.example.com',
      user: 'alice',
      mode: 'push',
      updatedAt: new Date(2026, 10, 28, 10, 15, 30),
      health: null,
      connection: null,
    },
    ...overrides,
  }
}

/** A terminal's stdout: a size, resize events, and every write kept. */
// eslint-disable-next-line unicorn/prefer-event-target -- stdout is an EventEmitter ('resize')
export class FakeOutput extends EventEmitter {
  columns = 120
  rows = 30
  written: string[] = []

  write(text: string): boolean {
    this.written.push(text)
    return true
  }
}

/** A terminal's stdin: raw mode as a flag. */
export class FakeInput extends PassThrough {
  isRaw = false

  setRawMode(mode: boolean): this {
    this.isRaw = mode
    return this
  }
}
