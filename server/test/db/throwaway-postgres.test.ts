import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import pg from 'pg'

import {startThrowawayPostgres, type ThrowawayPostgres} from '../../src/db/throwaway-postgres.js'
import {waitFor} from '../support/api.js'
import {isAlive, processesMentioning} from '../support/processes.js'

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'data', 'postmaster.pid'), 'utf8').split('\n', 1)[0])
}

const MODULE = fileURLToPath(new URL('../../src/db/throwaway-postgres.ts', import.meta.url))

/** In a fresh process: its SIGINT, SIGTERM and beforeExit listeners before loading the module and while a server runs. */
const COUNT_SHUTDOWN_HANDLERS = `
const counts = () => ['SIGINT', 'SIGTERM', 'beforeExit'].map((event) => process.listenerCount(event))
const before = counts()
const {startThrowawayPostgres} = await import(${JSON.stringify(MODULE)})
const postgres = await startThrowawayPostgres()
const during = counts()
await postgres.stop()
console.log(JSON.stringify({before, during}))
`

function throwawayDirs(): string[] {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('cidx-pg-'))
}

async function query(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client(url)
  await client.connect()
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>
  } finally {
    await client.end()
  }
}

describe('server: a throwaway PostgreSQL from the npm package', () => {
  const started: ThrowawayPostgres[] = []
  const listeners: Server[] = []

  afterEach(async () => {
    for (const postgres of started.splice(0)) await postgres.stop()
    for (const listener of listeners.splice(0)) listener.close()
  })

  it('starts, answers a query on its database, and stop() leaves neither a process nor its files', async function () {
    this.timeout(60_000)
    const postgres = await startThrowawayPostgres()
    started.push(postgres)
    const row = await query(postgres.url, 'SELECT version() AS version, current_database() AS db, 6 * 7 AS answer')
    expect(row).to.include({db: 'cidx', answer: 42})
    expect(row.version).to.match(/^PostgreSQL 18\./)
    const pid = postmasterPid(postgres.dataDir)
    expect(isAlive(pid)).to.equal(true)

    await postgres.stop()
    expect(existsSync(postgres.dataDir)).to.equal(false)
    expect(isAlive(pid)).to.equal(false)
    const refused = await query(postgres.url, 'SELECT 1').then(
      () => 'connected',
      (error: NodeJS.ErrnoException) => error.code,
    )
    expect(refused).to.equal('ECONNREFUSED')
  })

  it('leaves the shutdown of the process that uses it alone: loading it and running a server add no signal handler', async function () {
    this.timeout(60_000)
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', COUNT_SHUTDOWN_HANDLERS], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    const code = await new Promise((resolve) => {
      child.once('close', resolve)
    })
    expect(code).to.equal(0)
    expect(JSON.parse(stdout)).to.deep.equal({before: [0, 0, 0], during: [0, 0, 0]})
  })

  it('a start that fails (its port is taken) rejects with what PostgreSQL said and leaves no process or files', async function () {
    this.timeout(60_000)
    const listener = createServer()
    listeners.push(listener)
    await new Promise<void>((resolve) => {
      listener.listen(0, '127.0.0.1', resolve)
    })
    const {port} = listener.address() as {port: number}
    const dirsBefore = throwawayDirs()
    const processesBefore = processesMentioning('cidx-pg-')

    const failure = await startThrowawayPostgres({port}).then(
      (postgres) => {
        started.push(postgres)
        throw new Error('PostgreSQL started on a taken port')
      },
      (error: Error) => error.message,
    )
    expect(failure).to.contain(`PostgreSQL did not start on port ${port}`)
    expect(failure).to.match(/could not bind IPv4 address "127\.0\.0\.1": Address already in use/)
    expect(throwawayDirs()).to.deep.equal(dirsBefore)
    expect(processesMentioning('cidx-pg-')).to.deep.equal(processesBefore)
  })

  it('stop() after the server was killed (kill -9) still removes its files, and a second stop() is harmless', async function () {
    this.timeout(60_000)
    const postgres = await startThrowawayPostgres()
    started.push(postgres)
    const pid = postmasterPid(postgres.dataDir)
    process.kill(pid, 'SIGKILL')
    await waitFor('the server to die', () => !isAlive(pid) || undefined)

    await postgres.stop()
    await postgres.stop()
    expect(existsSync(postgres.dataDir)).to.equal(false)
  })
})
