#!/usr/bin/env node
// `npm start`: the CLI at work against a real local server. It starts the server on a free port
// in a temporary data dir, makes real git repositories, starts real jobs through the HTTP API,
// runs the real CLI (`jobs watch`, `jobs cancel`, `jobs list`), and cleans everything up, also
// on Ctrl-C. Needs the build (`npm ci` runs it through `prepare`; else `npm run build`).
import {execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)))
const RUN = join(ROOT, 'bin', 'run.js')
/** Files per repository and the pause between index batches of 20 files: a few seconds per job. */
const APP_FILES = 400
const MONOREPO_FILES = 2000
const JOB_THROTTLE_MS = 150
const ALICE_PASSWORD = 'alice-demo-password'

const say = (line = '') => process.stdout.write(`${line}\n`)
const bold = (text) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\u001B[1m${text}\u001B[22m` : text)
const sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms)
  })

/** True when the CLI and the server are built; else says how to build them. */
function isBuilt() {
  if (existsSync(join(ROOT, 'dist', 'commands')) && existsSync(join(ROOT, 'server', 'dist', 'index.js'))) return true
  process.stderr.write(
    'The demo runs the built CLI and server: run `npm run build` first (`npm ci` does it for you).\n',
  )
  return false
}

// ---- git repositories -------------------------------------------------------------------------

function git(cwd, ...args) {
  const identity = ['-c', 'user.name=Demo', '-c', 'user.email=demo@example.invalid', '-c', 'commit.gpgsign=false']
  return execFileSync('git', [...identity, ...args], {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
}

/**
 * A repository of `count` files, the number its indexing reports (`n/count files indexed`): a
 * README and `count - 1` small source files in a few folders, one commit on `main`.
 */
function makeRepository(path, count, name) {
  for (let n = 0; n < count - 1; n++) {
    const file = join(path, 'src', `area-${n % 10}`, `module-${n}.js`)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(
      file,
      `// ${name}: module ${n}\nexport function handler${n}(input) {\n  return {module: ${n}, input}\n}\n`,
    )
  }

  writeFileSync(join(path, 'README.md'), `# ${name}\n\nA repository the cidx demo made, ${count} files.\n`)
  git(path, 'init', '--quiet', '--initial-branch=main')
  git(path, 'add', '--all')
  git(path, 'commit', '--quiet', '-m', `${name}: ${count} files`)
}

// ---- the HTTP API -----------------------------------------------------------------------------

/** The server's API as the holder of `token` calls it (no token: anonymously, to log in). */
function apiAs(server, token) {
  return async (method, path, body) => {
    const response = await fetch(server.url + path, {
      method,
      headers: {
        ...(token ? {authorization: `Bearer ${token}`} : {}),
        ...(body ? {'content-type': 'application/json'} : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : {}
  }
}

async function login(server, username, password) {
  return (await apiAs(server)('POST', '/auth/login', {username, password})).access_token
}

async function waitForEnd(api, jobId) {
  for (;;) {
    const job = await api('GET', `/api/jobs/${jobId}`)
    if (['cancelled', 'completed', 'completed_partial', 'failed'].includes(job.status)) return job
    await sleep(100)
  }
}

// ---- the CLI ------------------------------------------------------------------------------------

const children = new Set()

/** Runs `cidx ARGS`; `capture` keeps its output (as a pipe sees it) instead of showing it live. */
function cidx(env, args, {capture = false} = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], {
      env,
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    })
    children.add(child)
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      children.delete(child)
      resolve({code: code ?? (signal ? 128 : 1), output})
    })
  })
}

function cliEnv(server, home, password) {
  const env = {...process.env, CIDX_SERVER_URL: server.url, CIDX_USERNAME: 'admin', CIDX_PASSWORD: password}
  // The demo never reads or writes the user's own cidx login, nor picks up their token.
  delete env.CIDX_TOKEN
  return {...env, CIDX_CONFIG_DIR: join(home, 'config'), XDG_CONFIG_HOME: join(home, 'config'), HOME: home}
}

// ---- the demo -----------------------------------------------------------------------------------

async function demo(state) {
  const {startServer} = await import('@cidx/local-server')
  const {root} = state
  say(bold('cidx demo: a local CIDX server, real git repositories, real jobs, and the real CLI.'))
  say()
  const appRepo = join(root, 'repos', 'demo-app')
  const monorepo = join(root, 'repos', 'monorepo')
  process.stdout.write('• Making git repositories... ')
  makeRepository(appRepo, APP_FILES, 'demo-app')
  makeRepository(monorepo, MONOREPO_FILES, 'monorepo')
  say(`demo-app (${APP_FILES} files), monorepo (${MONOREPO_FILES} files) in ${join(root, 'repos')}`)

  const adminPassword = randomBytes(12).toString('base64url')
  // Two workers: the third job waits in the queue, so `jobs watch` sees it from the start.
  state.server = await startServer({
    port: 0,
    dataDir: join(root, 'data'),
    adminPassword,
    workers: 2,
    jobThrottleMs: JOB_THROTTLE_MS,
  })
  const {server} = state
  say(`• Local server: ${server.url} (data in ${join(root, 'data')})`)
  await server.testing.createUser('alice', ALICE_PASSWORD, 'normal_user')
  const admin = apiAs(server, await login(server, 'admin', adminPassword))
  const alice = apiAs(server, await login(server, 'alice', ALICE_PASSWORD))
  const env = cliEnv(server, join(root, 'home'), adminPassword)

  const addApp = await admin('POST', '/api/admin/golden-repos', {repo_url: appRepo, alias: 'demo-app'})
  const addMonorepo = await admin('POST', '/api/admin/golden-repos', {
    repo_url: monorepo,
    alias: 'monorepo',
  })
  const noSuchRepo = join(root, 'repos', 'no-such-repo')
  const broken = await admin('POST', '/api/admin/golden-repos', {repo_url: noSuchRepo, alias: 'broken'})
  say('• Jobs started through the HTTP API:')
  say(`    add golden repo demo-app   ${addApp.job_id}`)
  say(`    add golden repo monorepo   ${addMonorepo.job_id}   (to be cancelled with \`cidx jobs cancel\`)`)
  say(`    add golden repo broken     ${broken.job_id}   (its URL does not exist: it will fail)`)
  say('  While `jobs watch` runs, the demo activates demo-app for alice once it is ready, syncs it,')
  say('  and then cancels monorepo.')
  say()
  say(bold('$ cidx jobs watch'))
  const watching = cidx(env, ['jobs', 'watch'])

  await waitForEnd(admin, addApp.job_id)
  const activation = await alice('POST', '/api/repos/activate', {golden_repo_alias: 'demo-app'})
  await waitForEnd(alice, activation.job_id)
  const sync = await alice('POST', '/api/repos/sync', {repository_alias: 'demo-app', full_reindex: true})
  const cancelArgs = ['jobs', 'cancel', '--yes', addMonorepo.job_id.slice(0, 8)]
  const cancelling = await cidx(env, cancelArgs, {capture: true})
  await waitForEnd(alice, sync.job_id)
  await waitForEnd(admin, broken.job_id)
  const watched = await watching
  if (state.interrupted) return

  say()
  say(`Meanwhile, with \`jobs watch\` on screen, the demo ran ${bold(`$ cidx ${cancelArgs.join(' ')}`)}`)
  say(`(its output, as a pipe gets it; exit ${cancelling.code}):`)
  say(cancelling.output.trimEnd())
  say()
  say(bold('$ cidx jobs list'))
  const listed = await cidx(env, ['jobs', 'list'])
  say()
  say(`Exit codes: watch ${watched.code}, cancel ${cancelling.code}, list ${listed.code}.`)
}

async function cleanUp(state) {
  for (const child of children) child.kill('SIGTERM')
  await state.server?.close()
  rmSync(state.root, {recursive: true, force: true})
}

async function main() {
  if (!isBuilt()) {
    process.exitCode = 1
    return
  }

  const state = {root: mkdtempSync(join(tmpdir(), 'cidx-demo-')), server: undefined, interrupted: false}
  let cleaning
  const stop = (signal) => {
    state.interrupted = true
    // The terminal sends Ctrl-C to the CLI as well; it stops on its own (exit 130).
    cleaning ??= cleanUp(state).finally(() => {
      say(`\nDemo stopped (${signal}): server closed, temporary files removed.`)
      // eslint-disable-next-line n/no-process-exit -- Ctrl-C ends the demo with 130, as a shell expects; main() is still waiting on the jobs it started
      process.exit(130)
    })
  }

  process.on('SIGINT', () => stop('Ctrl-C'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  try {
    await demo(state)
  } catch (error) {
    if (!state.interrupted) {
      process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 1
    }
  } finally {
    if (!state.interrupted) {
      await cleanUp(state)
      say('Cleaned up: server closed, temporary files removed.')
    }
  }

  if (state.interrupted) await new Promise(() => {}) // the signal handler exits
}

await main()
