import {expect} from 'chai'

import {
  describeJob,
  normalizeJob,
  normalizeStatusName,
  normalizeTimestamp,
  parseSteps,
  wireStatusName,
} from '../../src/client/normalize.js'
import {ProtocolError} from '../../src/errors.js'
import {displayJob} from '../../src/ui/job-format.js'
import {wireJob} from '../helpers/fixtures/job-fixtures.js'

/** Normalizes one wire job built from the contract's example plus `fields`. */
function normalized(fields: Record<string, unknown>) {
  return normalizeJob({...wireJob(), ...fields})
}

describe('normalize: wire jobs to the normalized shape', () => {
  it('maps the contract example of a running job field by field', () => {
    const job = normalizeJob({
      job_id: '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
      operation_type: 'add_golden_repo',
      status: 'running',
      created_at: '2026-11-28T09:14:02.481223+00:00',
      started_at: '2026-11-28T09:14:03.010871+00:00',
      completed_at: null,
      progress: 42,
      result: null,
      error: null,
      username: 'alice',
      current_phase: 'semantic',
      phase_detail: '210/500 files (42%) | 31.0 files/s',
      an_unknown_field: {ignored: true},
    })
    expect(job).to.deep.equal({
      job_id: '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44',
      job_type: 'add_golden_repo',
      node: null,
      description: 'Add golden repository',
      status: 'running',
      progress: 42,
      created_at: '2026-11-28T09:14:02.481Z',
      started_at: '2026-11-28T09:14:03.010Z',
      completed_at: null,
      user_id: 'alice',
      repository: null,
      error_message: null,
      result: null,
      progress_detail: {
        current_step: 'semantic',
        steps_completed: 210,
        total_steps: 500,
        estimated_remaining: null,
        detailed_status: '210/500 files (42%) | 31.0 files/s',
      },
    })
  })

  describe('status', () => {
    const cases: Array<[unknown, string]> = [
      ['pending', 'queued'],
      ['running', 'running'],
      ['resolving_prerequisites', 'resolving_prerequisites'],
      ['completed_partial', 'completed_partial'],
      ['cancelled', 'cancelled'],
      ['paused_for_maintenance', 'paused_for_maintenance'],
      ['Paused', 'Paused'],
      [null, 'unknown'],
      ['', 'unknown'],
    ]
    for (const [wire, expected] of cases) {
      it(`${JSON.stringify(wire)} → ${expected}`, () => {
        expect(normalized({status: wire}).status).to.equal(expected)
      })
    }

    describe('a partial result, as a real server ends it: completed with result.partial', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{status: 'completed', result: {success: true, partial: true, message: '3 of 4 repos'}}, 'completed_partial'],
        [{status: 'completed', result: {success: true, partial: false}}, 'completed'],
        [{status: 'completed', result: {partial: 'yes'}}, 'completed'],
        [{status: 'failed', result: {partial: true}}, 'failed'],
      ]
      for (const [fields, expected] of cases) {
        it(`${JSON.stringify(fields)} → ${expected}`, () => {
          const job = normalized(fields)
          expect(job.status).to.equal(expected)
          expect(job.result).to.deep.equal(fields.result)
        })
      }
    })

    it('reads user-typed names in the CLI vocabulary and turns them back into wire names', () => {
      expect(normalizeStatusName(' Pending ')).to.equal('queued')
      expect(normalizeStatusName('RUNNING')).to.equal('running')
      expect(wireStatusName('queued')).to.equal('pending')
      expect(wireStatusName('running')).to.equal('running')
    })
  })

  describe('progress', () => {
    const cases: Array<[unknown, number]> = [
      [42, 42],
      [42.46, 42.5],
      ['37', 37],
      ['12.5', 12.5],
      [-5, 0],
      [250, 100],
      ['abc', 0],
      [null, 0],
      [undefined, 0],
      [Number.NaN, 0],
      [{percentage: 5}, 0],
    ]
    for (const [wire, expected] of cases) {
      it(`${JSON.stringify(wire) ?? 'undefined'} → ${expected}`, () => {
        expect(normalized({progress: wire}).progress).to.equal(expected)
      })
    }
  })

  describe('timestamps', () => {
    const cases: Array<[null | string, null | string]> = [
      ['2026-11-20T08:03:00.123456+00:00', '2026-11-20T08:03:00.123Z'],
      ['2026-11-20T08:03:00+00:00', '2026-11-20T08:03:00.000Z'],
      ['2026-11-20T08:03:00.123456', '2026-11-20T08:03:00.123Z'],
      ['2026-11-20T08:03:00', '2026-11-20T08:03:00.000Z'],
      ['2026-11-20T10:03:00.5+02:00', '2026-11-20T08:03:00.500Z'],
      ['2026-11-20T08:03:00Z', '2026-11-20T08:03:00.000Z'],
      ['', null],
      [null, null],
    ]
    for (const [wire, expected] of cases) {
      it(`${JSON.stringify(wire)} → ${JSON.stringify(expected)}`, () => {
        expect(normalizeTimestamp(wire)).to.equal(expected)
        expect(normalized({completed_at: wire}).completed_at).to.equal(expected)
      })
    }

    it('a created_at with microseconds and no zone is read as UTC', () => {
      expect(normalized({created_at: '2026-11-20T08:03:00.654321'}).created_at).to.equal('2026-11-20T08:03:00.654Z')
    })
  })

  describe("the cluster's node (extension)", () => {
    it('is read from a non-empty string, as sent', () => {
      expect(normalized({node: 'node-a'}).node).to.equal('node-a')
    })

    it('is null when the server does not send it (a real server, a single local server)', () => {
      const wire: Record<string, unknown> = {...wireJob()}
      expect(wire).not.to.have.property('node')
      expect(normalizeJob(wire).node).to.equal(null)
    })

    const notANode: Array<[string, unknown]> = [
      ['null', null],
      ['blank text', '  '],
      ['a number', 7],
      ['a boolean', true],
      ['an object', {name: 'node-a'}],
      ['a list', ['node-a']],
    ]
    for (const [what, value] of notANode) {
      it(`is null, and the job still read, for ${what}`, () => {
        const job = normalized({node: value})
        expect(job.node).to.equal(null)
        expect(job.job_id).to.equal(wireJob().job_id)
      })
    }

    it('keeps hostile text as data: escaping is for the views (displayJob, safeJson)', () => {
      const evil = 'node-a\u001B]0;pwned\u0007\u202E'
      expect(normalized({node: evil}).node).to.equal(evil)
      expect(displayJob(normalized({node: evil})).node).to.equal(String.raw`node-a\x1b]0;pwned\x07\u202e`)
    })
  })

  describe('missing optional fields', () => {
    it('a job with only job_id and created_at gets defaults, not undefined', () => {
      const job = normalizeJob({job_id: 'data-retention-1a2b3c4d', created_at: '2026-11-20T08:03:00+00:00'})
      expect(job).to.deep.equal({
        job_id: 'data-retention-1a2b3c4d',
        job_type: 'unknown',
        node: null,
        description: 'Unknown',
        status: 'unknown',
        progress: 0,
        created_at: '2026-11-20T08:03:00.000Z',
        started_at: null,
        completed_at: null,
        user_id: 'unknown',
        repository: null,
        error_message: null,
        result: null,
        progress_detail: {
          current_step: null,
          steps_completed: null,
          total_steps: null,
          estimated_remaining: null,
          detailed_status: null,
        },
      })
    })

    it('reads job_type when operation_type is missing, and keeps a result that is not an object', () => {
      const job = normalized({operation_type: undefined, job_type: 'reindex', result: 'done'})
      expect(job.job_type).to.equal('reindex')
      expect(job.result).to.deep.equal({value: 'done'})
    })
  })

  describe('description', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{operation_type: 'sync_repository', result: {alias: 'backend'}}, 'Sync repository backend'],
      [{operation_type: 'add_golden_repo', result: {alias: 'web'}}, 'Add golden repository web'],
      [{operation_type: 'change_branch', result: {alias: 'api'}}, 'Change branch of api'],
      [{operation_type: 'repository_health_check'}, 'Health check'],
      [{operation_type: 'change_branch'}, 'Change branch'],
      [{operation_type: 'provider_index_add'}, 'Provider index add'],
      [{operation_type: 'dependency-map_full', result: {alias: 'x'}}, 'Dependency map full x'],
      [{operation_type: 'reindex', description: 'Nightly reindex of everything'}, 'Nightly reindex of everything'],
      [{operation_type: 'reindex', description: '   '}, 'Reindex'],
    ]
    for (const [fields, expected] of cases) {
      it(`${JSON.stringify(fields)} → "${expected}"`, () => {
        expect(normalized(fields).description).to.equal(expected)
      })
    }

    it('describeJob without a type word still says something', () => {
      expect(describeJob('__', null)).to.equal('Job')
    })
  })

  describe('repository', () => {
    const cases: Array<[Record<string, unknown>, null | string]> = [
      [{repository: 'direct'}, 'direct'],
      [{repository_alias: 'from-alias-field'}, 'from-alias-field'],
      [{golden_repo_alias: 'golden'}, 'golden'],
      [{user_alias: 'mine'}, 'mine'],
      [{result: {alias: 'backend', success: true}}, 'backend'],
      [{result: {repo_alias: 'r'}}, 'r'],
      [{repository: '  ', result: {alias: 'fallback'}}, 'fallback'],
      [{result: {alias: 7}}, null],
      [{}, null],
    ]
    for (const [fields, expected] of cases) {
      it(`${JSON.stringify(fields)} → ${JSON.stringify(expected)}`, () => {
        expect(normalized(fields).repository).to.equal(expected)
      })
    }
  })

  describe('error_message', () => {
    const cases: Array<[Record<string, unknown>, null | string]> = [
      [{status: 'failed', error: 'Orphaned by server restart'}, 'Orphaned by server restart'],
      // What a running real server writes: the error, progress reset to 0, no result.
      [{status: 'failed', error: 'git clone failed', progress: 0, result: null}, 'git clone failed'],
      [
        {status: 'failed', error: 'Job interrupted by server restart', progress: 0},
        'Job interrupted by server restart',
      ],
      // Cancelled while running, as a real server ends it: no words at all.
      [{status: 'cancelled', error: null, progress: 0}, null],
      [
        {status: 'failed', error: null, progress: 100, result: {success: false, error: 'git clone failed'}},
        'git clone failed',
      ],
      [{status: 'failed', error: null, result: {success: false, message: 'disk full'}}, 'disk full'],
      [
        {status: 'failed', error: '', result: {success: false, error: '', message: 'only the message'}},
        'only the message',
      ],
      [{status: 'failed', error: null, result: {success: true, error: 'not a failure reason'}}, null],
      [{status: 'completed', error: null, result: {success: false, error: 'ignored: not failed'}}, null],
      [{status: 'failed', error: null, result: null}, null],
      [{status: 'cancelled', error: 'Job cancelled during execution'}, 'Job cancelled during execution'],
    ]
    for (const [fields, expected] of cases) {
      it(`${JSON.stringify(fields)} → ${JSON.stringify(expected)}`, () => {
        expect(normalized(fields).error_message).to.equal(expected)
      })
    }
  })

  describe('progress_detail', () => {
    const cases: Array<[null | string, null | {done: number; total: number}]> = [
      ['150/500 files (30%) | 12.4 files/s', {done: 150, total: 500}],
      ['150/500 files indexed', {done: 150, total: 500}],
      ['Indexing 3 / 12 batches', {done: 3, total: 12}],
      ['FTS: building index...', null],
      [null, null],
    ]
    for (const [detail, expected] of cases) {
      it(`parses ${JSON.stringify(detail)}`, () => {
        expect(parseSteps(detail)).to.deep.equal(expected)
        const job = normalized({status: 'running', phase_detail: detail, current_phase: 'index'})
        expect(job.progress_detail.steps_completed).to.equal(expected?.done ?? null)
        expect(job.progress_detail.total_steps).to.equal(expected?.total ?? null)
        expect(job.progress_detail.detailed_status).to.equal(detail)
        expect(job.progress_detail.current_step).to.equal('index')
      })
    }

    it('makes no estimate from one snapshot: a running job starts at 10 by decree, whatever its pace', () => {
      const startedAt = new Date(Date.now() - 600_000).toISOString()
      for (const fields of [
        {status: 'running', started_at: startedAt, progress: 10, phase_detail: null},
        {status: 'running', started_at: startedAt, progress: 42, phase_detail: '150/500 files (30%)'},
      ]) {
        expect(normalized(fields).progress_detail.estimated_remaining).to.equal(null)
      }
    })
  })

  describe('protocol errors', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['a list', [], /not a JSON object/],
      ['null', null, /not a JSON object/],
      ['a string', 'job', /not a JSON object/],
      ['no job_id', {created_at: '2026-11-20T08:03:00+00:00'}, /without a job_id/],
      ['a blank job_id', {job_id: ' ', created_at: '2026-11-20T08:03:00+00:00'}, /without a job_id/],
      ['no created_at', {job_id: 'a'}, /job a without created_at/],
      ['an unreadable created_at', {job_id: 'a', created_at: 'yesterday'}, /unreadable created_at: "yesterday"/],
      [
        'an unreadable started_at',
        {job_id: 'a', created_at: '2026-11-20T08:03:00', started_at: '2026-13-45T99:00:00'},
        /unreadable started_at/,
      ],
      [
        'a status that is an object',
        {job_id: 'a', created_at: '2026-11-20T08:03:00', status: {}},
        /"status" is not text/,
      ],
    ]
    for (const [what, raw, message] of cases) {
      it(`rejects ${what}`, () => {
        expect(() => normalizeJob(raw)).to.throw(ProtocolError, message)
      })
    }

    it('accepts a numeric job_id as text', () => {
      expect(normalizeJob({job_id: 42, created_at: '2026-11-20T08:03:00'}).job_id).to.equal('42')
    })
  })
})
