import type {AddressInfo} from 'node:net'

import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {createServer, type Server} from 'node:http'

import {lines, useCliSession} from '../../helpers/cli-session.js'

const ROOT = new URL('../../..', import.meta.url).pathname
const MINUTE = 60_000

/**
 * A real CIDX server's listing, defect included: newest first, at most 50 per page, and an empty
 * page at any offset of 50 or more (it reads only about `limit` jobs from storage, then slices).
 * No /health extensions.
 */
function realServerDouble(jobs: object[]): Promise<{close: () => Promise<void>; url: string}> {
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url!, 'http://localhost')
    if (url.pathname !== '/api/jobs' || request.headers.authorization !== 'Bearer real-token') {
      response.writeHead(url.pathname === '/api/jobs' ? 401 : 404, {'content-type': 'application/json'})
      response.end(JSON.stringify({detail: url.pathname === '/api/jobs' ? 'Invalid token' : 'Not Found'}))
      return
    }

    const status = url.searchParams.get('status')
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 10), 1), 50)
    const offset = Math.max(Number(url.searchParams.get('offset') ?? 0), 0)
    const matching = jobs.filter((job) => !status || (job as {status: string}).status === status)
    const page = offset >= limit ? [] : matching.slice(0, limit).slice(offset)
    response.writeHead(200, {'content-type': 'application/json'})
    response.end(JSON.stringify({jobs: page, total: matching.length, limit, offset}))
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.close(() => done())
          }),
      })
    })
  })
}

describe('commands: jobs list (against a server with the real paging defect)', () => {
  let double: {close: () => Promise<void>; url: string}
  useCliSession(() => ({CIDX_SERVER_URL: double.url, CIDX_TOKEN: 'real-token'}))

  before(async () => {
    const start = Date.parse('2026-11-28T12:00:00Z')
    const jobs = Array.from({length: 120}, (_, index) => ({
      job_id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      operation_type: 'sync_repository',
      status: 'completed',
      created_at: new Date(start - index * MINUTE).toISOString().replace('Z', '+00:00'),
      started_at: null,
      completed_at: null,
      progress: 100,
      result: null,
      error: null,
      username: 'admin',
      current_phase: null,
      phase_detail: null,
    }))
    double = await realServerDouble(jobs)
  })

  after(async () => {
    await double.close()
  })

  it('--all stops where the server stops, without looping or duplicating, and says why', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--all'], {root: ROOT})
    expect(error).to.equal(undefined)
    const ids = lines(stdout)
      .slice(1)
      .map((row) => row.split(/\s+/)[0])
    expect(ids).to.have.length(50)
    expect(new Set(ids).size).to.equal(50)
    expect(stderr).to.equal(
      'Showing 50 of at least 50 jobs — the server stopped paging early (a known limit of CIDX servers); narrow with --status or --since.\n',
    )
  })

  const warning =
    'Warning: Showing 50 of at least 50 jobs — the server stopped paging early (a known limit of CIDX servers); narrow with --status or --since.\n'

  it('--json keeps stdout to the jobs and says on stderr that the server stopped paging early', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--all', '--json'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(JSON.parse(stdout)).to.have.length(50)
    expect(stderr).to.equal(warning)
  })

  it('-q prints only IDs on stdout and the same warning on stderr', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--limit', '80', '-q'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(lines(stdout)).to.have.length(50)
    expect(lines(stdout).every((line) => /^[\da-f-]{36}$/.test(line))).to.equal(true)
    expect(stderr).to.equal(warning)
  })

  it('--json within what the server lists says nothing on stderr', async () => {
    const {stdout, stderr, error} = await runCommand(['jobs', 'list', '--limit', '10', '--json'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(JSON.parse(stdout)).to.have.length(10)
    expect(stderr).to.equal('')
  })

  it('a page within the first 50 needs no warning, and the count says "at least"', async () => {
    const {stderr, error} = await runCommand(['jobs', 'list', '--limit', '10'], {root: ROOT})
    expect(error).to.equal(undefined)
    expect(stderr).to.equal('Showing 10 of at least 50 jobs; --limit N or --all for more.\n')
  })
})
