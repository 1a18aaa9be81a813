/**
 * Watch latency: from a job's state change on the local server to `cidx jobs watch` printing it.
 *
 * The local server runs in this process; the CLI runs as a real child process
 * (`node bin/run.js jobs watch <id> --json`), and each NDJSON line is timestamped on arrival.
 * A change is `testing.updateJob` setting a new progress value (the server stores it and
 * announces it on its event stream at once); its latency is the time from just before that
 * call to the arrival of the line carrying that value. Run once with push (the server's event
 * stream) and once with polling forced (`--no-push`, default --interval 1s).
 *
 * Needs the build (`npm run build`): it runs the compiled CLI and server, as users do
 * (`--cli dev` runs the TypeScript sources through tsx instead).
 * Options: `--changes 60` (per mode), `--modes push,poll`, `--cli built|dev`.
 * Writes bench/reports/watch-latency.md.
 */

import {startServer} from '@cidx/local-server'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const REPORT = join(REPO_ROOT, 'bench/reports/watch-latency.md')
const USER = 'bench'
const USER_PASSWORD = 'bench-user-password'
/** Push: changes a little apart, so each one is its own event. */
const PUSH_GAP_MS = [50, 150]
/**
 * Polling: each change waits for the previous one to show (which happens just after a poll),
 * then a random 1-2 intervals: so it lands at a uniformly random point of the poll cycle.
 */
const POLL_GAP_MS = [1000, 2000]

function percentile(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return sorted[Math.max(0, index)]
}

function randomBetween([low, high]) {
  return low + Math.random() * (high - low)
}

/** The CLI's NDJSON lines, each with its arrival time; `next(predicate)` waits for a matching one. */
const CLI_ENTRY = {
  built: [join(REPO_ROOT, 'bin/run.js')],
  dev: [
    '--import',
    'tsx',
    '--conditions=development',
    '--no-warnings=ExperimentalWarning',
    join(REPO_ROOT, 'bin/dev.js'),
  ],
}

function watchCli(cli, args, env) {
  const child = spawn(process.execPath, [...CLI_ENTRY[cli], ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines = []
  let waiter
  let partial = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    const at = performance.now()
    partial += chunk
    const parts = partial.split('\n')
    partial = parts.pop()
    for (const text of parts) if (text.trim()) lines.push({job: JSON.parse(text), at})
    waiter?.()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise((resolve) => {
    child.once('close', (code) => resolve(code))
  })
  return {
    exited,
    async next(matches, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const found = lines.find((line) => matches(line.job))
        if (found) return found
        if (performance.now() > deadline) throw new Error(`no matching line within ${timeoutMs} ms; stderr: ${stderr}`)
        await new Promise((resolve) => {
          waiter = resolve
          setTimeout(resolve, 50)
        })
      }
    },
  }
}

async function measure(server, env, {cli, mode, changes}) {
  const {job_id: jobId} = await server.testing.insertJob({
    username: USER,
    status: 'running',
    progress: 1,
    current_phase: 'index',
    started_at: new Date(),
  })
  const args = ['jobs', 'watch', jobId, '--json', ...(mode === 'poll' ? ['--no-push'] : [])]
  const watcher = watchCli(cli, args, env)
  await watcher.next((job) => job.progress === 1, 30_000)
  // Let the watcher settle into its steady state (stream connected, poll cycle running).
  await sleep(1500)
  const latencies = []
  for (let change = 0; change < changes; change++) {
    await sleep(randomBetween(mode === 'poll' ? POLL_GAP_MS : PUSH_GAP_MS))
    const progress = 2 + change
    const changedAt = performance.now()
    await server.testing.updateJob(jobId, {progress})
    const {at} = await watcher.next((job) => job.progress === progress)
    latencies.push(at - changedAt)
  }

  await server.testing.updateJob(jobId, {status: 'completed', progress: 100, completed_at: new Date()})
  const code = await watcher.exited
  if (code !== 0) throw new Error(`jobs watch exited ${code}`)
  return latencies
}

function summarize(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b)
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length
  return {count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1), mean}
}

const fixed = (ms) => ms.toFixed(1)

function report(results, {changes, cli}) {
  const rows = results.map(
    ({mode, stats}) =>
      `| ${mode} | ${stats.count} | ${fixed(stats.p50)} | ${fixed(stats.p95)} | ${fixed(stats.max)} | ${fixed(stats.mean)} |`,
  )
  return [
    '# Watch latency: a job change on the server to `cidx jobs watch` printing it',
    '',
    `Command: \`npm run build && node bench/watch-latency.js${cli === 'dev' ? ' --cli dev' : ''}\`. Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}),`,
    `${new Date().toISOString().slice(0, 10)}. The local server runs in the bench process; \`node ${cli === 'dev' ? 'bin/dev.js' : 'bin/run.js'} jobs watch <id> --json\``,
    'runs as a child process and every NDJSON line is timestamped when it reaches the bench. A change is',
    '`testing.updateJob` setting a new progress; latency = line arrival - just before the update.',
    `${changes} changes per mode. Push: changes ${PUSH_GAP_MS.join('-')} ms apart. Polling (\`--no-push\`, default`,
    `\`--interval 1s\`): each change ${POLL_GAP_MS.join('-')} ms after the previous one showed, so it falls at a uniformly random`,
    'point of the poll cycle.',
    '',
    '| mode | changes | p50 (ms) | p95 (ms) | max (ms) | mean (ms) |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Requirement: a change shows within 1 s when polling, well under that with push. Polling at a',
    '1 s interval waits on average half an interval for the next poll, plus one round trip.',
    '',
  ].join('\n')
}

async function main() {
  const {values} = parseArgs({
    options: {
      changes: {type: 'string', default: '60'},
      modes: {type: 'string', default: 'push,poll'},
      cli: {type: 'string', default: 'built'},
    },
  })
  const changes = Number(values.changes)
  const {cli} = values
  if (!(cli in CLI_ENTRY)) throw new Error(`--cli must be built or dev, not ${cli}`)
  const modes = values.modes.split(',')
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-watch-'))
  const server = await startServer({port: 0, dataDir: join(root, 'data'), adminPassword: 'bench-admin-password'})
  await server.testing.createUser(USER, USER_PASSWORD, 'normal_user')
  const home = join(root, 'home')
  mkdirSync(home, {recursive: true})
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    CIDX_CONFIG_DIR: join(home, 'cidx'),
    CIDX_SERVER_URL: server.url,
    CIDX_USERNAME: USER,
    CIDX_PASSWORD: USER_PASSWORD,
  }
  delete env.CIDX_TOKEN
  try {
    const results = []
    for (const mode of modes) {
      const stats = summarize(await measure(server, env, {cli, mode, changes}))
      results.push({mode: mode === 'poll' ? 'polling (--no-push, --interval 1s)' : 'push (SSE)', stats})
      console.log(
        `${mode}: p50 ${stats.p50.toFixed(1)} ms, p95 ${stats.p95.toFixed(1)} ms, max ${stats.max.toFixed(1)} ms over ${stats.count} changes`,
      )
    }

    const text = report(results, {changes, cli})
    mkdirSync(join(REPO_ROOT, 'bench/reports'), {recursive: true})
    writeFileSync(REPORT, text)
    console.log(`\n${text}`)
  } finally {
    await server.close()
    rmSync(root, {recursive: true, force: true})
  }
}

await main()
