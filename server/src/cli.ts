import {parseArgs} from 'node:util'

import {startServer} from './index.js'
import {stopOnSignal} from './stop-on-signal.js'

const USAGE = `Usage: npm run server -- [options]

Starts the local CIDX-compatible jobs server.

Options:
  --port N             port to listen on (default 8090; 0 picks a free one)
  --host HOST          address to bind (default 127.0.0.1)
  --allowed-host NAME  a host name clients may reach the server by, besides its address
                       (repeatable; requests naming any other host get 421)
  --data-dir DIR       database, secrets and repositories (default ./.cidx-server)
  --workers N          jobs run at the same time (default 2)
  --job-throttle-ms N  pause between index batches, to watch jobs in a demo (default 0)
  --git-stall-timeout SECONDS
                       stop a git clone or fetch that shows no progress for this long and fail
                       its job (default 300; 0 never stops one)
  --database URL       run as a node of a cluster on this PostgreSQL database
                       (postgres://...; default: SQLite in the data dir); the nodes share it
                       and the data dir
  --node-name NAME     this node's name in the cluster (default: the host name)
  --node-timeout SECONDS
                       a node silent this long is taken for dead and its running jobs fail
                       (default 30)
  --log                log every request to stdout
  -h, --help           show this help

Environment:
  CIDX_ADMIN_PASSWORD  password of the admin user made on first start (else one is generated
                       and printed once)
  CIDX_DATABASE_URL    the --database URL, when the option is not given`

function integerOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new Error(`--${name} must be a non-negative integer, got '${value}'`)
  return parsed
}

/** Only a PostgreSQL URL: anything else would fail later with a less clear word from the driver. */
function databaseUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  if (!/^postgres(?:ql)?:\/\//.test(value))
    throw new Error(`--database must be a postgres:// URL, got '${redact(value)}'`)
  return value
}

/** A URL's password never reaches the terminal or a log. */
function redact(value: string): string {
  return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
}

export async function main(argv: string[]): Promise<void> {
  const {values} = parseArgs({
    args: argv,
    options: {
      port: {type: 'string'},
      host: {type: 'string'},
      'allowed-host': {type: 'string', multiple: true},
      'data-dir': {type: 'string'},
      workers: {type: 'string'},
      'job-throttle-ms': {type: 'string'},
      'git-stall-timeout': {type: 'string'},
      database: {type: 'string'},
      'node-name': {type: 'string'},
      'node-timeout': {type: 'string'},
      log: {type: 'boolean'},
      help: {type: 'boolean', short: 'h'},
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }

  const dataDir = values['data-dir'] ?? './.cidx-server'
  const starting = startServer({
    port: integerOption('port', values.port, 8090),
    host: values.host,
    allowedHosts: values['allowed-host'],
    dataDir,
    workers: Math.max(1, integerOption('workers', values.workers, 2)),
    jobThrottleMs: integerOption('job-throttle-ms', values['job-throttle-ms'], 0),
    gitStallTimeoutSeconds: integerOption('git-stall-timeout', values['git-stall-timeout'], 300),
    logger: values.log ?? false,
    database: databaseUrl(values.database ?? (process.env.CIDX_DATABASE_URL || undefined)),
    nodeName: values['node-name'],
    nodeTimeoutSeconds:
      values['node-timeout'] === undefined
        ? undefined
        : Math.max(1, integerOption('node-timeout', values['node-timeout'], 30)),
  })
  stopOnSignal(starting, (server) => server.close())
  const server = await starting
  const node = server.node === '' ? '' : `, node: ${server.node}`
  const lines = [`CIDX local server listening on ${server.url} (data dir: ${dataDir}${node})`]
  if (server.adminPasswordGenerated) {
    lines.push(
      `Created user 'admin' with password: ${server.adminPassword}`,
      'This password is shown only once. Set CIDX_ADMIN_PASSWORD before the first start to choose it.',
    )
  }

  // One write, so that a reader of the first line has the rest too.
  console.log(lines.join('\n'))
}
