import {expect} from 'chai'

import {JobsClient} from '../../src/client/jobs-client.js'
import {CliError, NotFoundError, UsageError} from '../../src/errors.js'
import {resolveJob, resolveJobId} from '../../src/jobs/job-id.js'
import {behindNewerJobs, jobSeries, pythonIso, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {startWatchServer, USER, USER_PASSWORD, type WatchServer} from '../helpers/servers/watch-harness.js'

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise
  } catch (error) {
    return error as CliError
  }

  throw new Error('expected a rejection')
}

/** The IDs a user saw, as the ID cache gives them. */
function seen(...ids: string[]): () => Promise<string[]> {
  return async () => ids
}

describe('job-id', () => {
  describe('against the local server', () => {
    let watch: WatchServer
    let client: JobsClient
    const ids = {
      unique: 'c0ffee01-1111-4111-8111-111111111111',
      twinA: 'abcd1111-2222-4222-8222-222222222222',
      twinB: 'abcd2222-3333-4333-8333-333333333333',
      odd: 'beefcafe-4444-4444-8444-444444444444',
      system: 'data-retention-1a2b3c4d',
    }

    before(async () => {
      watch = await startWatchServer()
      client = new JobsClient({
        credentials: {serverUrl: watch.url, source: 'env', username: USER, password: USER_PASSWORD},
      })
      await watch.seed({job_id: ids.unique, status: 'completed', progress: 100})
      await watch.seed({job_id: ids.twinA, status: 'running', operation_type: 'sync_repository'})
      await watch.seed({job_id: ids.twinB, status: 'failed', operation_type: 'add_golden_repo'})
      await watch.seed({job_id: ids.odd, status: 'frobnicating'})
      await watch.seed({job_id: ids.system, status: 'completed'})
      // Someone else's job: never a candidate for alice.
      await watch.seed({job_id: 'c0ffee02-5555-4555-8555-555555555555', username: 'admin'})
    })

    after(async () => {
      await watch.stop()
    })

    it('fetches a full ID directly, UUID or system-style', async () => {
      expect((await resolveJob(client, ids.unique)).status).to.equal('completed')
      expect(await resolveJobId(client, ids.system)).to.equal(ids.system)
    })

    it('resolves a unique prefix of 4 characters or more, also of a job in an unknown status', async () => {
      expect(await resolveJobId(client, 'c0ffee01')).to.equal(ids.unique)
      expect(await resolveJobId(client, 'c0ff')).to.equal(ids.unique)
      expect(await resolveJobId(client, 'BEEF')).to.equal(ids.odd)
      expect(await resolveJobId(client, 'data-retention')).to.equal(ids.system)
    })

    it('refuses an ambiguous prefix with exit 2, listing the candidates (short ID, type, status, created)', async () => {
      const error = await rejection(resolveJobId(client, 'abcd'))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.exitCode).to.equal(2)
      expect(error.message).to.contain('"abcd" matches 2 jobs:')
      expect(error.message).to.match(/abcd1111 +sync_repository +running +created just now/)
      expect(error.message).to.match(/abcd2222 +add_golden_repo +failed +created just now/)
      expect(error.hint).to.contain('more characters')
    })

    it('answers exit 4 when nothing matches, exit 2 when the prefix is too short', async () => {
      const none = await rejection(resolveJobId(client, 'ffff9999'))
      expect(none).to.be.instanceOf(NotFoundError)
      expect(none.exitCode).to.equal(4)
      const missingUuid = await rejection(resolveJobId(client, '00000000-0000-4000-8000-000000000000'))
      expect(missingUuid).to.be.instanceOf(NotFoundError)
      const short = await rejection(resolveJobId(client, 'abc'))
      expect(short).to.be.instanceOf(UsageError)
      expect(short.message).to.contain('at least 4 characters')
    })
  })

  describe('against a server with the real paging defect', () => {
    let fake: FakeCidx
    let client: JobsClient

    before(async () => {
      const now = Date.now()
      fake = await startFakeCidx({
        paging: 'defect',
        // The newer completed jobs push the failed one out of the unfiltered listing's reach.
        jobs: behindNewerJobs([
          wireJob({
            job_id: 'feed0001-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
            status: 'failed',
            created_at: pythonIso(new Date(now - 3_600_000)),
          }),
        ]),
      })
      client = new JobsClient({credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token}})
    })

    after(async () => {
      await fake.close()
    })

    it('reaches a job past the newest 50 by listing status by status', async () => {
      expect(await resolveJobId(client, 'feed0001')).to.equal('feed0001-aaaa-4aaa-8aaa-aaaaaaaaaaaa')
      expect(fake.listings.map((query) => query.get('status'))).to.include('failed')
    })

    it('lists at most 10 candidates and counts the rest', async () => {
      const error = await rejection(resolveJobId(client, 'done-'))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.contain('"done-" matches 50 jobs:')
      expect(error.message).to.contain('... and 40 more')
      expect(error.message.split('\n').filter((line) => line.startsWith('  done-'))).to.have.length(10)
    })
  })

  describe("against a real server's per-status windows: the likeliest places first", () => {
    /** Beyond every window: 60 newer completed jobs hide it from the completed and the unfiltered listing. */
    const OLD_ID = '5d82755b-1111-4111-8111-111111111111'
    /** A job ID of 32 hex digits without dashes, as a real server's system jobs have. */
    const DASHLESS_ID = 'bbbf86ac03d04df481ef48b1ce20ed8f'
    let fake: FakeCidx
    let client: JobsClient

    /** Every request the lookup made: job reads, listings and feature probes. */
    const requests = () => fake.jobReads.length + fake.listings.length + fake.healthChecks

    before(async () => {
      const now = Date.now()
      const hoursAgo = (hours: number) => pythonIso(new Date(now - hours * 3_600_000))
      fake = await startFakeCidx({
        paging: 'defect',
        jobs: behindNewerJobs(
          [
            ...jobSeries(3, {prefix: 'work', status: 'running', newest: new Date(now)}),
            wireJob({job_id: DASHLESS_ID, status: 'failed', created_at: hoursAgo(30)}),
            wireJob({job_id: OLD_ID, status: 'completed', created_at: hoursAgo(48)}),
          ],
          new Date(now - 60_000),
        ),
      })
      client = new JobsClient({credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token}})
    })

    beforeEach(() => {
      fake.jobReads.length = 0
      fake.listings.length = 0
      fake.healthChecks = 0
    })

    after(async () => {
      await fake.close()
    })

    it('resolves a prefix of a job beyond every window from the IDs the user saw, in 2 requests or fewer', async () => {
      const seenIds = seen('work-0', OLD_ID, DASHLESS_ID)
      expect(await resolveJobId(client, '5d82755b', {seenIds})).to.equal(OLD_ID)
      expect(requests()).to.be.at.most(2)
      // The one listing: the newest page, where a job sharing the prefix would most likely be.
      expect(fake.listings).to.have.length(1)
    })

    it('does not take a prefix the cache matched once when an unseen newer job shares it', async () => {
      // work-0 seen; work-1 and work-2, running among the newest, never were.
      const error = await rejection(resolveJobId(client, 'work-', {seenIds: seen('work-0')}))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.contain('"work-" matches 3 jobs:')
      expect(requests()).to.equal(2)
    })

    it('says, when nothing matches, that the server shows only the newest 50 jobs of each status and the full ID works', async () => {
      const error = await rejection(resolveJobId(client, '5d82755b'))
      expect(error).to.be.instanceOf(NotFoundError)
      expect(error.message).to.equal(
        'No job found for "5d82755b". The server shows only the newest 50 jobs of each status: an older job is found by its full ID, which always works.',
      )
      expect(requests(), 'requests for a prefix that matches nothing').to.be.at.most(10)
    })

    it('resolves a prefix of a dashless 32-hex ID from the listings, and the full ID with one request', async () => {
      expect(await resolveJobId(client, 'BBBF86AC')).to.equal(DASHLESS_ID)
      fake.jobReads.length = 0
      fake.listings.length = 0
      fake.healthChecks = 0
      expect(await resolveJobId(client, DASHLESS_ID)).to.equal(DASHLESS_ID)
      expect(requests()).to.equal(1)
    })

    it('stops listing as soon as two jobs match: the answer is ambiguous whatever the other windows hold', async () => {
      const error = await rejection(resolveJobId(client, 'work-'))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.contain('"work-" matches 3 jobs:')
      expect(fake.listings).to.have.length(1)
    })

    it('takes a full ID over the longer IDs it starts, and the ambiguity from the seen IDs that still exist', async () => {
      expect(await resolveJobId(client, 'done-1', {seenIds: seen('done-10', 'done-1')})).to.equal('done-1')
      fake.jobReads.length = 0
      const error = await rejection(resolveJobId(client, 'work-', {seenIds: seen('work-0', 'work-1', 'work-gone')}))
      expect(error.message).to.contain('"work-" matches 2 jobs:')
      expect(fake.jobReads).to.have.members(['work-0', 'work-1', 'work-gone'])
      expect(fake.listings).to.deep.equal([])
    })
  })

  describe('against a server that lists exactly (it advertises job_filters)', () => {
    let fake: FakeCidx
    let client: JobsClient

    before(async () => {
      const old = wireJob({
        job_id: 'feed0002-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
        created_at: pythonIso(new Date(Date.now() - 3_600_000)),
      })
      fake = await startFakeCidx({paging: 'correct', features: ['job_filters'], jobs: behindNewerJobs([old])})
      client = new JobsClient({credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token}})
    })

    after(async () => {
      await fake.close()
    })

    it('pages the unfiltered listing past its first page instead of asking status by status', async () => {
      expect(await resolveJobId(client, 'feed0002')).to.equal('feed0002-bbbb-4bbb-8bbb-bbbbbbbbbbbb')
      expect(fake.listings.map((query) => query.get('status'))).to.deep.equal([null, null])
      const none = await rejection(resolveJobId(client, 'ffff0000'))
      expect(none.message).to.equal('No job found for "ffff0000".')
    })
  })
})
