import {expect} from 'chai'

import {UsageError} from '../../src/errors.js'
import type {Job} from '../../src/jobs/job.js'
import {buildListQuery, parseSort, parseStatuses, sortJobs, splitList} from '../../src/jobs/list-flags.js'

function thrown(fn: () => unknown): UsageError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError)
    return error as UsageError
  }

  throw new Error('expected a UsageError')
}

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
    error_message: null,
    result: null,
    progress_detail: {current_step: null, steps_completed: null, total_steps: null, estimated_remaining: null, detailed_status: null},
    ...fields,
  }
}

describe('list-flags: splitList and parseStatuses', () => {
  it('splits repeated and comma-separated values, dropping blanks and duplicates', () => {
    expect(splitList(['a,b', ' c ', 'a', ',,'])).to.deep.equal(['a', 'b', 'c'])
    expect(splitList(undefined)).to.deep.equal([])
  })

  it('gives undefined when no status was asked for', () => {
    expect(parseStatuses(undefined)).to.equal(undefined)
    expect(parseStatuses([' , '])).to.equal(undefined)
  })

  it('treats pending as queued, and reads case and dashes loosely', () => {
    expect(parseStatuses(['pending'])).to.deep.equal(['queued'])
    expect(parseStatuses(['queued,PENDING'])).to.deep.equal(['queued'])
    expect(parseStatuses(['Completed-Partial'])).to.deep.equal(['completed_partial'])
  })

  it('expands active to every not-yet-ended status', () => {
    expect(parseStatuses(['active'])).to.deep.equal(['queued', 'running', 'resolving_prerequisites'])
    expect(parseStatuses(['failed', 'active,running'])).to.deep.equal(['failed', 'queued', 'running', 'resolving_prerequisites'])
  })

  it('refuses an unknown name, listing the valid ones and the escape', () => {
    const error = thrown(() => parseStatuses(['runing']))
    expect(error.message).to.equal(
      'Unknown status "runing". Valid: queued, running, resolving_prerequisites, completed, completed_partial, failed, cancelled, pending, active.',
    )
    expect(error.hint).to.equal('For a status this CLI does not know yet, write --status =runing.')
  })

  it('passes =NAME through unchecked and verbatim', () => {
    expect(parseStatuses(['=Paused', 'failed'])).to.deep.equal(['Paused', 'failed'])
    expect(() => parseStatuses(['='])).to.throw(UsageError)
  })
})

describe('list-flags: buildListQuery', () => {
  const now = new Date('2026-11-28T12:00:00Z')

  it('is empty without flags', () => {
    expect(buildListQuery({}, now)).to.deep.equal({})
  })

  it('fills every filter', () => {
    expect(
      buildListQuery({status: ['active'], type: ['sync_repository,add_golden_repo'], repository: ' backend ', user: 'bob', since: '2h', until: '1h'}, now),
    ).to.deep.equal({
      statuses: ['queued', 'running', 'resolving_prerequisites'],
      types: ['sync_repository', 'add_golden_repo'],
      repository: 'backend',
      user: 'bob',
      since: new Date('2026-11-28T10:00:00Z'),
      until: new Date('2026-11-28T11:00:00Z'),
    })
  })

  it('ignores blank repository and user', () => {
    expect(buildListQuery({repository: ' ', user: ''}, now)).to.deep.equal({})
  })

  it('refuses a bad time and an empty range', () => {
    expect(thrown(() => buildListQuery({since: 'lately'}, now)).message).to.match(/^--since must be/)
    expect(thrown(() => buildListQuery({until: '5 minutes'}, now)).message).to.match(/^--until must be/)
    expect(thrown(() => buildListQuery({since: '1h', until: '2h'}, now)).message).to.equal(
      '--since (2026-11-28T11:00:00.000Z) is after --until (2026-11-28T10:00:00.000Z): nothing can match.',
    )
  })

  it('defaults now to the current time', () => {
    const before = Date.now()
    const since = buildListQuery({since: '1h'}).since!.getTime()
    expect(since).to.be.within(before - 3_600_000, Date.now() - 3_600_000)
  })
})

describe('list-flags: parseSort and sortJobs', () => {
  it('reads keys with an optional leading minus', () => {
    expect(parseSort('-created')).to.deep.equal({key: 'created', descending: true})
    expect(parseSort(' Progress ')).to.deep.equal({key: 'progress', descending: false})
    expect(thrown(() => parseSort('-age')).message).to.equal(
      'Unknown sort key "-age". Valid: created, progress, status, type, duration, repository, user (a leading - sorts descending).',
    )
  })

  const oldest = job({created_at: '2026-11-28T08:00:00Z', progress: 10, status: 'running', job_type: 'reindex', repository: 'web', user_id: 'carol', started_at: '2026-11-28T11:00:00Z'})
  const middle = job({created_at: '2026-11-28T09:00:00Z', progress: 100, status: 'completed', job_type: 'add_golden_repo', repository: null, user_id: 'alice', started_at: '2026-11-28T09:00:00Z', completed_at: '2026-11-28T09:00:30Z'})
  const newest = job({created_at: '2026-11-28T10:00:00Z', progress: 0, status: 'queued', job_type: 'sync_repository', repository: 'api', user_id: 'bob'})
  const odd = job({created_at: '2026-11-28T07:00:00Z', progress: 50, status: 'paused', job_type: 'xray_search', repository: 'zeta', user_id: 'dave'})
  const jobs = [middle, odd, newest, oldest]
  const now = new Date('2026-11-28T12:00:00Z')
  const ids = (sorted: Job[]) => sorted.map((j) => j.job_id)
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
