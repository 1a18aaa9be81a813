import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {parseSort, sortJobs} from '../../src/jobs/sort.js'
import {thrownUsageError as thrown} from '../helpers/thrown.js'

let sequence = 0
function job(fields: Partial<Job>): Job {
  sequence++
  return {
    job_id: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    job_type: 'sync_repository',
    description: 'Sync repository x',
    status: 'completed',
    progress: 100,
    created_at: '2026-11-28T10:00:00.000Z',
    started_at: null,
    completed_at: null,
    user_id: 'alice',
    repository: null,
    node: null,
    error_message: null,
    result: null,
    progress_detail: {
      current_step: null,
      steps_completed: null,
      total_steps: null,
      estimated_remaining: null,
      detailed_status: null,
    },
    ...fields,
  }
}

/** The IDs of `sorted`, in order. */
const ids = (sorted: Job[]) => sorted.map((j) => j.job_id)

describe('sort: parseSort and sortJobs', () => {
  it('reads keys with an optional leading minus', () => {
    expect(parseSort('-created')).to.deep.equal({key: 'created', descending: true})
    expect(parseSort(' Progress ')).to.deep.equal({key: 'progress', descending: false})
    expect(thrown(() => parseSort('-age')).message).to.equal(
      'Unknown sort key "-age". Valid: created, progress, status, type, duration, repository, user (a leading - sorts descending).',
    )
  })

  const oldest = job({
    created_at: '2026-11-28T08:00:00Z',
    progress: 10,
    status: 'running',
    job_type: 'reindex',
    repository: 'web',
    user_id: 'carol',
    started_at: '2026-11-28T11:00:00Z',
  })
  const middle = job({
    created_at: '2026-11-28T09:00:00Z',
    progress: 100,
    status: 'completed',
    job_type: 'add_golden_repo',
    repository: null,
    user_id: 'alice',
    started_at: '2026-11-28T09:00:00Z',
    completed_at: '2026-11-28T09:00:30Z',
  })
  const newest = job({
    created_at: '2026-11-28T10:00:00Z',
    progress: 0,
    status: 'queued',
    job_type: 'sync_repository',
    repository: 'api',
    user_id: 'bob',
  })
  const odd = job({
    created_at: '2026-11-28T07:00:00Z',
    progress: 50,
    status: 'paused',
    job_type: 'xray_search',
    repository: 'zeta',
    user_id: 'dave',
  })
  const jobs = [middle, odd, newest, oldest]
  const now = new Date('2026-11-28T12:00:00Z')
  const sorted = (value: string) => ids(sortJobs(jobs, parseSort(value), now))

  it('sorts by creation time, newest first by default', () => {
    expect(sorted('-created')).to.deep.equal(ids([newest, middle, oldest, odd]))
    expect(sorted('created')).to.deep.equal(ids([odd, oldest, middle, newest]))
  })

  it('sorts by progress and type', () => {
    expect(sorted('progress')).to.deep.equal(ids([newest, oldest, odd, middle]))
    expect(sorted('-progress')).to.deep.equal(ids([middle, odd, oldest, newest]))
    expect(sorted('type')).to.deep.equal(ids([middle, oldest, newest, odd]))
  })

  it('sorts statuses in lifecycle order, unknown ones last', () => {
    expect(sorted('status')).to.deep.equal(ids([newest, oldest, middle, odd]))
  })

  it('puts missing repositories and durations last in both directions', () => {
    expect(sorted('repository')).to.deep.equal(ids([newest, oldest, odd, middle]))
    expect(sorted('-repository')).to.deep.equal(ids([odd, oldest, newest, middle]))
    expect(sorted('duration')).to.deep.equal(ids([middle, oldest, newest, odd]))
    expect(sorted('-duration')).to.deep.equal(ids([oldest, middle, newest, odd]))
  })

  it('sorts by user, and keeps the newest first among ties', () => {
    expect(sorted('user')).to.deep.equal(ids([middle, newest, oldest, odd]))
    const twin = job({created_at: '2026-11-28T11:00:00Z', user_id: 'alice'})
    expect(ids(sortJobs([middle, twin], parseSort('user'), now))).to.deep.equal(ids([twin, middle]))
  })

  it('tells unknown statuses apart by name, and leaves the input alone', () => {
    const other = job({status: 'archived'})
    expect(ids(sortJobs([odd, other], parseSort('status'), now))).to.deep.equal(ids([other, odd]))
    const copy = [...jobs]
    sortJobs(jobs, parseSort('progress'), now)
    expect(jobs).to.deep.equal(copy)
  })
})
