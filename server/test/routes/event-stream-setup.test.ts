import {expect} from 'chai'
import {once} from 'node:events'

import {waitFor} from '../support/api.js'
import {usePostgres} from '../support/postgres.js'
import {startTestServer, type TestServer} from '../support/server-fixture.js'
import {openEventStream, openStalledStream} from '../support/sse.js'

/**
 * IDs to watch, as comma lists of at most 2000 characters each (the schema's bound): reading
 * them one by one from PostgreSQL keeps the stream in its set-up for a while after its headers.
 */
function manyWatchedIds(count: number, last = ''): string {
  const lists: string[][] = [[]]
  const ids = Array.from({length: count}, (_, n) => `m${n.toString(36)}`)
  for (const id of last ? [...ids, last] : ids) {
    const list = lists.at(-1) as string[]
    if ([...list, id].join(',').length > 2000) lists.push([id])
    else list.push(id)
  }

  return '?' + lists.map((list) => `job_id=${list.join(',')}`).join('&')
}

describe('server: an event stream whose client leaves while the stream is set up (PostgreSQL)', function () {
  this.timeout(60_000)
  let test: TestServer
  // Registered before usePostgres's hooks: after hooks run in that order, and the server goes first.
  after(() => test?.stop())
  const postgres = usePostgres()

  before(async () => {
    test = await startTestServer({database: postgres.server().url})
  })

  it('is released all the same: no stream, heartbeat nor subscription is left behind', async () => {
    const {testing} = test.server
    const watched = await testing.insertJob({username: 'admin', status: 'running'})
    for (let leaver = 0; leaver < 5; leaver++) {
      const socket = await openStalledStream(test.server.url, test.adminToken, manyWatchedIds(1500, watched.job_id))
      socket.resume()
      // The headers come before the watched jobs are read: leave as soon as they do.
      const [head] = (await once(socket, 'data')) as [Buffer]
      expect(head.toString('latin1')).to.match(/^HTTP\/1\.1 200 /)
      socket.destroy()
    }

    // A stream that stays, set up the same way after them: once it has its watched job, the
    // leavers' set-ups, which started earlier, are over too.
    const stayer = await openEventStream(
      `${test.server.url}/api/jobs/events${manyWatchedIds(1500, watched.job_id)}`,
      test.adminToken,
    )
    try {
      await stayer.next((event) => JSON.parse(event.data).job_id === watched.job_id, 20_000)
      await waitFor('the leavers to be released', () => (testing.eventStreams().length === 1 ? true : undefined), 5000)
      expect(testing.eventStreams()).to.have.length(1)
    } finally {
      stayer.close()
    }

    await waitFor('the stayer to be released', () => (testing.eventStreams().length === 0 ? true : undefined), 5000)
  })
})
