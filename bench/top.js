/**
 * `npm run bench:top`: what `cidx jobs top` costs while a busy server changes 1,000 active jobs
 * every second. Target: the top process under 15 % of one core (median), frames at most ~10/s.
 *
 * The local server runs in this process with 1,000 seeded running jobs of the bench user; the
 * bench changes each of them once a second (progress and phase detail, through the server's
 * testing API, in slices every 50 ms), and the server announces every change on its event stream.
 * The CLI runs as users run it (`node bin/run.js jobs top`, the build) in a tmux pane of 120x40,
 * a real pseudo-terminal. Its CPU is read from /proc/PID/stat once a second; its frames are
 * counted in the bytes it writes (one synchronized update per frame, tmux pipe-pane). Run with
 * push (the server's event stream) and with polling (`--no-push`, --interval 1s).
 *
 * Needs the build (`npm run build`), tmux and Linux's /proc.
 * Options: `--seconds 30` measured per mode (after 5 s of warm-up), `--jobs 1000`, `--modes push,poll`.
 * Writes bench/reports/top.md.
 */
import {startServer} from '@cidx/local-server'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
const REPORT = join(REPO_ROOT, 'bench/reports/top.md')
const USER = 'bench'
const USER_PASSWORD = 'bench-user-password'
const SOCKET = `cidx-bench-top-${process.pid}`
const WARMUP_S = 5
/** Each second's changes go out in this many slices, so the load is even rather than one burst. */
const SLICES = 20
/** One frame is one synchronized update (src/top/screen.ts). */
const FRAME_START = '\u001B[?2026h'
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim())

function tmux(...args) {
  return execFileSync('tmux', ['-L', SOCKET, ...args], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
}

/** User plus system CPU time of a process so far, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The fields after the command name (which may hold spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function countOf(text, part) {
  return text.split(part).length - 1
}

/** Changes every job once a second until stopped: progress moves by one, the phase detail with it. */
function startChanging(server, jobIds) {
  let round = 0
  const state = {stopped: false}
  const done = (async () => {
    while (!state.stopped) {
      const started = Date.now()
      round++
      for (let slice = 0; slice < SLICES && !state.stopped; slice++) {
        for (let index = slice; index < jobIds.length; index += SLICES) {
          const progress = (index + round) % 100
          await server.testing.updateJob(jobIds[index], {progress, phase_detail: `${progress * 10}/1000 files`})
        }

        await sleep(Math.max(0, started + ((slice + 1) * 1000) / SLICES - Date.now()))
      }
    }
  })()
  return {
    async stop() {
      state.stopped = true
      await done
    },
  }
}

async function measure(env, {mode, seconds, jobs}) {
  const log = join(env.HOME, `top-${mode}.log`)
  const variables = [
    'HOME',
    'XDG_CONFIG_HOME',
    'CIDX_CONFIG_DIR',
    'CIDX_SERVER_URL',
    'CIDX_USERNAME',
    'CIDX_PASSWORD',
    'PATH',
  ]
  const session = `top-${mode}`
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '40',
    '--',
    'env',
    '-u',
    'NO_COLOR',
    'TERM=xterm-256color',
    ...variables.map((name) => `${name}=${env[name]}`),
    process.execPath,
    join(REPO_ROOT, 'bin/run.js'),
    'jobs',
    'top',
    ...(mode === 'poll' ? ['--no-push'] : []),
    ';',
    'pipe-pane',
    '-t',
    session,
    `cat >> '${log}'`,
  )
  const pid = Number(tmux('list-panes', '-t', session, '-F', '#{pane_pid}').trim())
  await sleep(WARMUP_S * 1000)
  const samples = []
  let lastCpu = cpuSeconds(pid)
  let lastAt = performance.now()
  const framesBefore = countOf(readFileSync(log, 'utf8'), FRAME_START)
  for (let second = 0; second < seconds; second++) {
    await sleep(1000)
    const cpu = cpuSeconds(pid)
    const at = performance.now()
    samples.push((100 * (cpu - lastCpu)) / ((at - lastAt) / 1000))
    lastCpu = cpu
    lastAt = at
  }

  const frames = countOf(readFileSync(log, 'utf8'), FRAME_START) - framesBefore
  const screen = tmux('capture-pane', '-p', '-t', session)
  const shown = /^running (\d+)/m.exec(screen)?.[1] ?? '?'
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024
  tmux('send-keys', '-t', session, 'q')
  await sleep(500)
  return {
    mode,
    medianCpu: median(samples),
    maxCpu: Math.max(...samples),
    framesPerSecond: frames / seconds,
    known: `${shown} of ${jobs}`,
    rssMiB: rss,
  }
}

function report(results, {seconds, jobs}) {
  const rows = results.map(
    (r) =>
      `| ${r.mode === 'push' ? 'push (SSE)' : 'polling (--no-push, --interval 1s)'} | **${r.medianCpu.toFixed(1)} %** | ${r.maxCpu.toFixed(1)} % | ${r.framesPerSecond.toFixed(1)} | ${r.known} | ${r.rssMiB.toFixed(0)} MiB |`,
  )
  return [
    '# `cidx jobs top` under load',
    '',
    `${jobs} running jobs on the local server, each changed once a second (progress and phase detail);`,
    `\`node bin/run.js jobs top\` in a 120x40 tmux pane; CPU of the top process sampled once a second`,
    `for ${seconds} s after ${WARMUP_S} s of warm-up (user + system time, % of one core). Target: median under 15 %.`,
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; the server and the`,
    'changes run in the bench process, on the same CPUs.',
    '',
    '| changes arrive by | median CPU | max CPU | frames/s | running jobs known | RSS |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Frames are at most 10 a second however many changes arrive (src/top/frame-throttle.ts), and each',
    'frame rewrites only the lines that changed. Polling lists one page per active status (the watch',
    "engine's bounded request rate), so it knows the newest jobs of each status, not all 1,000.",
    '',
  ].join('\n')
}

async function main() {
  const {values} = parseArgs({
    options: {
      seconds: {type: 'string', default: '30'},
      jobs: {type: 'string', default: '1000'},
      modes: {type: 'string', default: 'push,poll'},
    },
  })
  if (!existsSync(join(REPO_ROOT, 'dist/cidx.cjs'))) throw new Error('No build: run `npm run build` first.')
  const seconds = Number(values.seconds)
  const jobs = Number(values.jobs)
  const root = mkdtempSync(join(tmpdir(), 'cidx-bench-top-'))
  const server = await startServer({port: 0, dataDir: join(root, 'data'), adminPassword: 'bench-admin-password'})
  await server.testing.createUser(USER, USER_PASSWORD, 'normal_user')
  const home = join(root, 'home')
  mkdirSync(home, {recursive: true})
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    CIDX_CONFIG_DIR: join(home, 'cidx'),
    CIDX_SERVER_URL: server.url,
    CIDX_USERNAME: USER,
    CIDX_PASSWORD: USER_PASSWORD,
  }
  const jobIds = []
  for (let index = 0; index < jobs; index++) {
    const seeded = await server.testing.insertJob({
      username: USER,
      status: 'running',
      started_at: new Date(),
      progress: index % 100,
      result: {alias: `repo-${index % 20}`},
    })
    jobIds.push(seeded.job_id)
  }

  const changing = startChanging(server, jobIds)
  try {
    const results = []
    for (const mode of values.modes.split(',')) {
      const result = await measure(env, {mode, seconds, jobs})
      results.push(result)
      console.log(
        `${mode}: median CPU ${result.medianCpu.toFixed(1)} % (max ${result.maxCpu.toFixed(1)} %), ${result.framesPerSecond.toFixed(1)} frames/s, running jobs known ${result.known}`,
      )
    }

    const text = report(results, {seconds, jobs})
    writeFileSync(REPORT, text)
    console.log(`\n${text}`)
  } finally {
    await changing.stop()
    try {
      tmux('kill-server')
    } catch {
      // Already gone with its last session.
    }

    await server.close()
    rmSync(root, {recursive: true, force: true})
  }
}

await main()
