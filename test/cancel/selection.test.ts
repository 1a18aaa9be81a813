import {expect} from 'chai'

import {cancelRequest, MAX_SELECTION, selectJobs} from '../../src/cancel/selection.js'
import {JobsClient} from '../../src/client/jobs-client.js'
import {UsageError} from '../../src/errors.js'
import {jobSeries, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {rejection, thrownUsageError as thrown} from '../helpers/thrown.js'

describe('cancel selection: IDs or a filter', () => {
  it('needs IDs or a filter, and refuses both', () => {
    expect(thrown(() => cancelRequest([], {})).message).to.match(/^Name the jobs to cancel/)
    expect(thrown(() => cancelRequest(['abcd1234'], {repository: 'backend'})).message).to.equal(
      'Give job IDs or filter flags, not both.',
    )
    expect(cancelRequest(['abcd1234', 'ef567890'], {})).to.deep.equal({ids: ['abcd1234', 'ef567890']})
  })

  it('selects queued and running jobs unless --status says otherwise', () => {
    expect(cancelRequest([], {repository: 'backend', type: ['reindex']})).to.deep.equal({
      query: {statuses: ['queued', 'running'], types: ['reindex'], repository: 'backend'},
    })
    expect(cancelRequest([], {status: [{value: ['queued']}]})).to.deep.equal({query: {statuses: ['queued']}})
  })
})

describe('cancel selection: the jobs it names (against a loopback server)', () => {
  let fake: FakeCidx | undefined

  afterEach(async () => {
    await fake?.close()
    fake = undefined
  })

  async function clientFor(jobs: ReturnType<typeof jobSeries>): Promise<JobsClient> {
    fake = await startFakeCidx({paging: 'correct', jobs})
    return new JobsClient({
      env: {},
      credentials: {serverUrl: fake.url, source: 'env', staticToken: fake.token},
      retry: {baseDelayMs: 1},
    })
  }

  it('resolves every ID (prefixes too) once, before anything else', async () => {
    const client = await clientFor([wireJob({job_id: 'abcd1234-0000-4000-8000-000000000001', status: 'running'})])
    const {jobs, serverStoppedEarly} = await selectJobs(client, {
      ids: ['abcd1234', 'abcd1234-0000-4000-8000-000000000001'],
    })
    expect(jobs.map((job) => job.job_id)).to.deep.equal(['abcd1234-0000-4000-8000-000000000001'])
    expect(serverStoppedEarly).to.equal(false)
  })

  it(`takes up to ${MAX_SELECTION} jobs by filter and refuses more, rather than cancel some`, async () => {
    const client = await clientFor(jobSeries(MAX_SELECTION, {status: 'pending'}))
    const request = cancelRequest([], {status: [{value: ['queued']}]})
    expect((await selectJobs(client, request)).jobs).to.have.length(MAX_SELECTION)
    fake!.jobs.push(wireJob({job_id: 'one-more', status: 'pending'}))
    const error = await rejection(selectJobs(client, request))
    expect(error).to.be.instanceOf(UsageError)
    expect(error.message).to.equal(`The filter selects more than ${MAX_SELECTION} jobs; narrow it down.`)
  })
})
