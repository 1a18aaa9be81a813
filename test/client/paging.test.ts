import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

import {JobsClient, type ListQuery} from '../../src/client/jobs-client.js'
import {collectJobs, matchesQuery} from '../../src/client/paging.js'
import {clientOfFake} from '../helpers/fixtures/client-fixtures.js'
import {jobSeries, makeJob, pythonIso, type WireJob, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, type FakeCidxOptions, startFakeCidx} from '../helpers/servers/fake-cidx.js'

const MINUTE = 60_000
const NEWEST = new Date('2026-11-28T12:00:00Z')

function ids(jobs: Job[]): string[] {
  return jobs.map((job) => job.job_id)
}

function idsOf(wire: WireJob[]): string[] {
  return wire.map((job) => job.job_id)
}

function expectNoDuplicates(jobs: Job[]): void {
  expect(new Set(ids(jobs)).size, 'duplicate job IDs').to.equal(jobs.length)
}

async function drain(iterator: AsyncIterable<Job>): Promise<Job[]> {
  const jobs: Job[] = []
  for await (const job of iterator) jobs.push(job)
  return jobs
}

describe('paging and filters (against a fake CIDX server over loopback)', () => {
  let fake: FakeCidx | undefined

  async function serve(options: FakeCidxOptions): Promise<JobsClient> {
    fake = await startFakeCidx(options)
    return clientOfFake(fake)
  }

  /** The listing requests as `status@offset`. */
  function listingRequests(): string[] {
    return (fake?.listings ?? []).map((query) => `${query.get('status') ?? '*'}@${query.get('offset')}`)
  }

  afterEach(async () => {
    await fake?.close()
    fake = undefined
  })

  describe('a real server: the paging defect', () => {
    it('collects all it can reach (the newest 50), without duplicates, and says the server stopped early', async () => {
      const jobs = jobSeries(120, {newest: NEWEST})
      const client = await serve({paging: 'defect', jobs})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(ids(collected.jobs)).to.deep.equal(idsOf(jobs.slice(0, 50)))
      expectNoDuplicates(collected.jobs)
      expect(collected.serverStoppedEarly).to.equal(true)
      expect(collected.complete).to.equal(false)
      expect(collected.totalAtLeast).to.equal(50)
      // Page 2 starts where page 1 ended; its empty answer ends the listing.
      expect(listingRequests()).to.deep.equal(['*@0', '*@50'])
    })

    it('ends on the short page that active jobs add, and still says the server stopped early', async () => {
      const running = jobSeries(5, {prefix: 'running', status: 'running', newest: NEWEST})
      const done = jobSeries(120, {prefix: 'done', newest: new Date(NEWEST.getTime() - 10 * MINUTE)})
      const client = await serve({paging: 'defect', jobs: [...running, ...done]})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      // 50 stored + 5 active jobs are all a real server reads: 55 of the 125.
      expect(ids(collected.jobs)).to.deep.equal([...idsOf(running), ...idsOf(done.slice(0, 50))])
      expectNoDuplicates(collected.jobs)
      expect(collected.serverStoppedEarly).to.equal(true)
      expect(collected.complete).to.equal(false)
      expect(listingRequests()).to.deep.equal(['*@0', '*@50'])
    })

    it('listJobs terminates on the same listing and yields each job once', async () => {
      const client = await serve({paging: 'defect', jobs: jobSeries(120, {newest: NEWEST})})
      const jobs = await drain(client.listJobs())
      expect(jobs).to.have.length(50)
      expectNoDuplicates(jobs)
    })

    it('a listing that fits in one page is complete, with no warning', async () => {
      const client = await serve({paging: 'defect', jobs: jobSeries(30, {newest: NEWEST})})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(collected).to.deep.include({complete: true, serverStoppedEarly: false, totalAtLeast: 30})
      expect(collected.jobs).to.have.length(30)
      expect(listingRequests()).to.deep.equal(['*@0'])
    })

    it('a limit reached on the first page is not a stop by the server', async () => {
      const client = await serve({paging: 'defect', jobs: jobSeries(120, {newest: NEWEST})})
      const collected = await collectJobs(client, {}, {limit: 20})
      expect(collected.jobs).to.have.length(20)
      expect(collected).to.deep.include({complete: false, serverStoppedEarly: false, totalAtLeast: 50})
      expect(listingRequests()).to.deep.equal(['*@0'])
    })

    it('a server that ignores offset (the same page again) ends the listing instead of looping', async () => {
      const client = await serve({paging: 'defect', jobs: jobSeries(60, {newest: NEWEST})})
      // Everything on a second request would be a job already seen.
      const original = client.listPage.bind(client)
      client.listPage = (query, page) => original(query, {...page, offset: 0})
      const jobs = await drain(client.listJobs())
      expect(jobs).to.have.length(50)
      expect(listingRequests()).to.deep.equal(['*@0', '*@0'])
    })

    it('applies the filters the server ignores on the client, and pages on to fill the limit', async () => {
      const jobs = jobSeries(50, {newest: NEWEST}).map((job, n) =>
        n % 5 === 0
          ? {...job, operation_type: 'reindex', username: 'bob', result: {alias: 'backend'}}
          : {...job, operation_type: 'sync_repository', result: {alias: 'web'}},
      )
      const client = await serve({paging: 'defect', jobs})
      const query: ListQuery = {
        types: ['reindex'],
        repository: 'backend',
        user: 'bob',
        since: new Date(NEWEST.getTime() - 40 * MINUTE),
        until: new Date(NEWEST.getTime() - 5 * MINUTE),
      }
      const collected = await collectJobs(client, query, {limit: 'all'})
      // Jobs 5, 10, ..., 40 are reindex jobs of bob on backend created 5 to 40 minutes ago.
      expect(ids(collected.jobs)).to.deep.equal([
        'job-5',
        'job-10',
        'job-15',
        'job-20',
        'job-25',
        'job-30',
        'job-35',
        'job-40',
      ])
      // The filters were sent (a server that knows them would use them).
      const sent = fake?.listings[0]
      expect(sent?.get('operation_type')).to.equal('reindex')
      expect(sent?.get('repository')).to.equal('backend')
      expect(sent?.get('username')).to.equal('bob')
      expect(sent?.get('since')).to.equal(query.since?.toISOString())
      expect(sent?.get('until')).to.equal(query.until?.toISOString())
    })
  })

  describe('a server that pages correctly', () => {
    it('returns every job, page after page, and says the listing is complete', async () => {
      const jobs = jobSeries(120, {newest: NEWEST})
      const client = await serve({paging: 'correct', jobs, features: ['job_filters', 'job_events']})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(ids(collected.jobs)).to.deep.equal(idsOf(jobs))
      expect(collected).to.deep.include({complete: true, serverStoppedEarly: false, totalAtLeast: 120})
      expect(listingRequests()).to.deep.equal(['*@0', '*@50', '*@100'])
      expect(await drain(client.listJobs())).to.have.length(120)
    })

    it('counts from the server total when it stopped at the limit: the page named the features, so nothing more is asked', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(120, {newest: NEWEST}), features: ['job_filters']})
      const collected = await collectJobs(client, {}, {limit: 20})
      expect(collected.jobs).to.have.length(20)
      expect(collected).to.deep.include({complete: false, serverStoppedEarly: false, totalAtLeast: 120})
      await collectJobs(client, {}, {limit: 'all'})
      expect(fake?.healthChecks).to.equal(0)
    })

    it('one that does not say so cannot be told from a real one: past a full page it may have stopped early', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(70, {newest: NEWEST})})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(collected.jobs).to.have.length(70)
      expect(collected.serverStoppedEarly).to.equal(true)
      expect(collected.totalAtLeast).to.equal(70)
    })

    it('fills the limit across pages when the client filters out most jobs', async () => {
      const jobs = jobSeries(120, {newest: NEWEST}).map((job, n) =>
        n % 10 === 0 ? {...job, operation_type: 'reindex'} : job,
      )
      const client = await serve({paging: 'correct', jobs})
      const collected = await collectJobs(client, {types: ['reindex']}, {limit: 8})
      expect(ids(collected.jobs)).to.deep.equal([
        'job-0',
        'job-10',
        'job-20',
        'job-30',
        'job-40',
        'job-50',
        'job-60',
        'job-70',
      ])
      expect(collected.complete).to.equal(false)
      // Two pages hold the first eight matches; the third is never asked for.
      expect(listingRequests()).to.deep.equal(['*@0', '*@50'])
    })

    it('with job_filters the server filters, and the client agrees with it', async () => {
      const jobs = jobSeries(120, {newest: NEWEST}).map((job, n) => (n % 3 === 0 ? {...job, username: 'bob'} : job))
      const client = await serve({paging: 'correct', jobs, features: ['job_filters']})
      const collected = await collectJobs(client, {user: 'bob'}, {limit: 'all'})
      expect(collected.jobs).to.have.length(40)
      expect(collected.jobs.every((job) => job.user_id === 'bob')).to.equal(true)
      expect(collected).to.deep.include({complete: true, serverStoppedEarly: false, totalAtLeast: 40})
      expect(listingRequests()).to.deep.equal(['*@0'])
    })

    it('skips `offset` matching jobs and returns the next `limit`', async () => {
      const jobs = jobSeries(60, {newest: NEWEST}).map((job, n) => (n % 2 === 0 ? {...job, status: 'failed'} : job))
      const client = await serve({paging: 'correct', jobs})
      const collected = await collectJobs(client, {statuses: ['failed']}, {limit: 5, offset: 10})
      expect(ids(collected.jobs)).to.deep.equal(['job-20', 'job-22', 'job-24', 'job-26', 'job-28'])
      expect(collected.complete).to.equal(false)
      const tail = await collectJobs(client, {statuses: ['failed']}, {limit: 50, offset: 25})
      expect(ids(tail.jobs)).to.deep.equal(['job-50', 'job-52', 'job-54', 'job-56', 'job-58'])
      expect(tail).to.deep.include({complete: true, totalAtLeast: 30})
      const beyond = await collectJobs(client, {statuses: ['failed']}, {limit: 5, offset: 40})
      expect(beyond.jobs).to.deep.equal([])
    })

    it('lists several statuses one by one (wire names) and merges them newest first', async () => {
      const jobs: WireJob[] = [
        wireJob({job_id: 'q1', status: 'pending', created_at: pythonIso(new Date(NEWEST.getTime() - MINUTE))}),
        wireJob({job_id: 'r1', status: 'running', created_at: pythonIso(new Date(NEWEST.getTime() - 2 * MINUTE))}),
        wireJob({job_id: 'q2', status: 'pending', created_at: pythonIso(new Date(NEWEST.getTime() - 3 * MINUTE))}),
        wireJob({job_id: 'c1', status: 'completed', created_at: pythonIso(new Date(NEWEST.getTime() - 4 * MINUTE))}),
        wireJob({job_id: 'r2', status: 'running', created_at: pythonIso(new Date(NEWEST.getTime() - 5 * MINUTE))}),
      ]
      const client = await serve({paging: 'defect', jobs})
      const collected = await collectJobs(client, {statuses: ['running', 'queued']}, {limit: 'all'})
      expect(ids(collected.jobs)).to.deep.equal(['q1', 'r1', 'q2', 'r2'])
      expect(collected.jobs.map((job) => job.status)).to.deep.equal(['queued', 'running', 'queued', 'running'])
      expect(listingRequests().sort()).to.deep.equal(['pending@0', 'running@0'])
      // The newest across statuses, not the first status's jobs first.
      const top = await collectJobs(client, {statuses: ['running', 'queued']}, {limit: 2})
      expect(ids(top.jobs)).to.deep.equal(['q1', 'r1'])
      // listJobs goes status by status.
      expect(ids(await drain(client.listJobs({statuses: ['running', 'queued']})))).to.deep.equal([
        'r1',
        'r2',
        'q1',
        'q2',
      ])
    })

    it('listJobs can start at a server offset', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(12, {newest: NEWEST})})
      expect(ids(await drain(client.listJobs({}, {startOffset: 9})))).to.deep.equal(['job-9', 'job-10', 'job-11'])
    })

    it('listJobs asks for pageSize jobs a page', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(12, {newest: NEWEST})})
      expect(await drain(client.listJobs({}, {pageSize: 5}))).to.have.length(12)
      expect(listingRequests()).to.deep.equal(['*@0', '*@5', '*@10'])
      expect(fake?.listings.map((query) => query.get('limit'))).to.deep.equal(['5', '5', '5'])
    })

    it('stops where the total of a server that pages correctly says, with no empty page to ask for', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(100, {newest: NEWEST}), features: ['job_filters']})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(collected.jobs).to.have.length(100)
      expect(collected).to.deep.include({complete: true, serverStoppedEarly: false, totalAtLeast: 100})
      expect(listingRequests()).to.deep.equal(['*@0', '*@50'])
    })

    it('does not trust the total of a server that does not say it pages correctly', async () => {
      const client = await serve({paging: 'correct', jobs: jobSeries(100, {newest: NEWEST})})
      const collected = await collectJobs(client, {}, {limit: 'all'})
      expect(collected.jobs).to.have.length(100)
      // The empty page ends it, as on a real server.
      expect(listingRequests()).to.deep.equal(['*@0', '*@50', '*@100'])
    })
  })

  describe('matchesQuery', () => {
    const job = makeJob({
      status: 'running',
      job_type: 'sync_repository',
      repository: 'backend',
      user_id: 'alice',
      created_at: '2026-11-28T09:00:00.000Z',
    })
    const cases: Array<[ListQuery, boolean]> = [
      [{}, true],
      [{statuses: []}, true],
      [{statuses: ['running', 'queued']}, true],
      [{statuses: ['queued']}, false],
      [{types: ['sync_repository']}, true],
      [{types: ['reindex']}, false],
      [{repository: 'backend'}, true],
      [{repository: 'web'}, false],
      [{user: 'alice'}, true],
      [{user: 'bob'}, false],
      [{since: new Date('2026-11-28T09:00:00Z')}, true],
      [{since: new Date('2026-11-28T09:00:01Z')}, false],
      [{until: new Date('2026-11-28T09:00:00Z')}, true],
      [{until: new Date('2026-11-28T08:59:59Z')}, false],
    ]
    for (const [query, expected] of cases) {
      it(`${JSON.stringify(query)} → ${expected}`, () => {
        expect(matchesQuery(job, query)).to.equal(expected)
      })
    }
  })
})
