import {expect} from 'chai'

import type {ListQuery} from '../../src/client/jobs-client.js'

import {JobsClient} from '../../src/client/jobs-client.js'
import {collectStats, type StatsClient} from '../../src/stats/collect-stats.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {startWatchServer, USER, USER_PASSWORD, type WatchServer} from '../helpers/servers/watch-harness.js'
import {KNOWN_FIGURES, knownJobs} from './known-jobs.js'

const DAY = 86_400_000

/** The client, recording which of its calls the statistics made. */
function recording(client: JobsClient, calls: string[]): StatsClient {
  return {
    serverFeatures: () => client.serverFeatures(),
    listPage(query, page) {
      calls.push('listPage')
      return client.listPage(query, page)
    },
    jobStats(query, window) {
      calls.push('jobStats')
      return client.jobStats(query, window)
    },
  }
}

describe('stats: the server computes them when it offers job_stats', () => {
  const now = new Date()
  const window = {since: new Date(now.getTime() - 7 * DAY), until: now}
  let fake: FakeCidx
  let local: WatchServer
  let fakeClient: JobsClient
  let localClient: JobsClient

  before(async () => {
    fake = await startFakeCidx({paging: 'defect'})
    fake.jobs = knownJobs(now)
    local = await startWatchServer()
    for (const job of knownJobs(now)) await local.seed({...job, username: USER})
    // Another user's failures: alice (a normal user) must not see them.
    await local.seed({username: 'bob', status: 'failed', error: 'not yours', created_at: now})
    fakeClient = new JobsClient({env: {}, credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token}})
    localClient = new JobsClient({
      env: {},
      credentials: {serverUrl: local.url, source: 'env', username: USER, password: USER_PASSWORD},
    })
  })

  after(async () => {
    await fake?.close()
    await local?.stop()
  })

  async function bothPaths(query: ListQuery) {
    const fakeCalls: string[] = []
    const localCalls: string[] = []
    const fromListing = await collectStats(recording(fakeClient, fakeCalls), query, window)
    const fromServer = await collectStats(recording(localClient, localCalls), query, window)
    expect(fakeCalls).to.not.include('jobStats')
    expect(localCalls).to.deep.equal(['jobStats'])
    return {fromListing, fromServer}
  }

  it('gives the same figures as the listing of a server with the paging defect', async () => {
    const {fromListing, fromServer} = await bothPaths({})
    expect(fromServer).to.deep.include({...KNOWN_FIGURES, complete: true})
    expect(fromServer).to.deep.equal(fromListing)
  })

  it('applies the type filter as the listing does', async () => {
    const byType = await bothPaths({types: ['add_golden_repo']})
    expect(byType.fromServer).to.deep.include({sample: 2, by_status: {failed: 2}})
    expect(byType.fromServer).to.deep.equal(byType.fromListing)
  })

  it('falls back to the listing for more than one type (the endpoint takes one)', async () => {
    const calls: string[] = []
    const stats = await collectStats(
      recording(localClient, calls),
      {types: ['add_golden_repo', 'sync_repository']},
      window,
    )
    expect(calls).to.include('listPage').and.not.include('jobStats')
    expect(stats.sample).to.equal(KNOWN_FIGURES.sample)
  })
})
