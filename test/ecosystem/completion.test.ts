import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {chmod, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {idCachePath} from '../../src/completion/id-cache.js'
import {KNOWN_STATUSES} from '../../src/jobs/job.js'
import {pythonIso, wireJob} from '../helpers/fixtures/job-fixtures.js'
import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {type FakeCidx, startFakeCidx} from '../helpers/servers/fake-cidx.js'
import {
  type ConnectionCounter,
  countConnectionsAt,
  installDevCli,
  ROOT,
  run,
  type SeededServer,
  seededServer,
} from './support.js'

/**
 * Drives the completion bash really uses: the function `complete -p cidx` names, with the words
 * split the way readline splits them (at spaces, and at the COMP_WORDBREAKS characters `:` and `=`).
 */
const DRIVER = String.raw`
split_words() {
  local line="$1" word="" ch i
  COMP_WORDS=()
  for ((i = 0; i < ${'$'}{#line}; i++)); do
    ch="${'$'}{line:i:1}"
    if [[ "$ch" == " " ]]; then
      [[ -n "$word" ]] && COMP_WORDS+=("$word")
      word=""
    elif [[ "$COMP_WORDBREAKS" == *"$ch"* ]]; then
      [[ -n "$word" ]] && COMP_WORDS+=("$word")
      COMP_WORDS+=("$ch")
      word=""
    else
      word+="$ch"
    fi
  done
  if [[ -n "$word" || "$line" == *" " ]]; then COMP_WORDS+=("$word"); fi
  COMP_CWORD=$((${'$'}{#COMP_WORDS[@]} - 1))
}

complete_line() {
  local spec function
  COMP_LINE="$1" COMP_POINT=${'$'}{#1} COMPREPLY=()
  split_words "$1"
  spec="$(complete -p cidx)" || return 1
  function="${'$'}{spec#*-F }" function="${'$'}{function%% *}"
  "$function" cidx "${'$'}{COMP_WORDS[COMP_CWORD]}" "${'$'}{COMP_WORDS[COMP_CWORD-1]}"
  printf '>>> %s\n' "$1"
  printf '%s\n' "${'$'}{COMPREPLY[@]}"
}
`

const LINES = [
  'cidx jo',
  'cidx jobs ',
  'cidx jobs list --st',
  'cidx jobs list --status ',
  'cidx jobs list --status=ru',
  'cidx jobs list --status queued,ru',
  'cidx jobs list --status running --li',
  'cidx jobs list --sort -cr',
  'cidx jobs status ',
  'cidx jobs status PREFIX',
  'cidx jobs status SEEN ',
  'cidx jobs:status ',
  'cidx jobs status --timeout ',
  'cidx jobs cancel ',
  'cidx jobs watch ',
]

/** The candidates bash offers for each line, as the user sees them: without duplicates, sorted. */
function parseCompletions(stdout: string): Map<string, string[]> {
  const result = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of stdout.split('\n')) {
    if (line.startsWith('>>> ')) {
      current = []
      result.set(line.slice(4), current)
    } else if (line !== '' && current) {
      current.push(line)
    }
  }

  for (const [line, words] of result) result.set(line, [...new Set(words)].sort())
  return result
}

/** What a real bash, with the completion `cidx autocomplete script bash` sets up, offers for each line. */
async function completeInBash(
  lines: readonly string[],
  options: {cwd: string; env: NodeJS.ProcessEnv},
): Promise<Map<string, string[]>> {
  const script = `${DRIVER}\neval "$(cidx autocomplete script bash)"\n${lines.map((line) => `complete_line '${line}'`).join('\n')}\n`
  const bash = await run('bash', ['--norc', '--noprofile', '-c', script], options)
  expect(bash.code, bash.stderr).to.equal(0)
  return parseCompletions(bash.stdout)
}

describe('ecosystem: bash tab completion (plugin-autocomplete + cached job IDs)', function () {
  this.timeout(180_000)
  let home: Sandbox
  let jobsServer: SeededServer | undefined
  /** Listens where the jobs server was while the user presses TAB: a TAB must make no connection. */
  let counter: ConnectionCounter
  let completions: Map<string, string[]>
  let setupOutput: string
  /** Two characters that start at least one of the seeded IDs. */
  let prefix: string
  let jobIds: string[]

  before(async () => {
    home = await createSandbox('cidx-completion-', {NO_COLOR: '1'})
    await installDevCli(home)
    jobsServer = await seededServer()
    jobIds = jobsServer.jobIds
    const env = {...home.env, ...jobsServer.env}
    const setup = await run('cidx', ['autocomplete', 'bash'], {env, cwd: home.env.HOME})
    expect(setup.code, setup.stderr).to.equal(0)
    setupOutput = setup.stdout
    // The user lists the jobs once: that is what fills the cache (of this server and user) the completion reads.
    const list = await run('cidx', ['jobs', 'list', '--quiet'], {env, cwd: home.env.HOME})
    expect(list.code, list.stderr).to.equal(0)
    prefix = jobIds[1].slice(0, 2)

    // The same server address and user while TAB is pressed, but nothing there answers: it only counts.
    await jobsServer.close()
    counter = await countConnectionsAt(jobsServer.server.url)
    jobsServer = undefined

    completions = await completeInBash(
      LINES.map((line) => line.replace('PREFIX', prefix).replace('SEEN', jobIds[0])),
      {env, cwd: home.env.HOME!},
    )
  })

  after(async () => {
    await counter?.close()
    await jobsServer?.close()
    await rm(home.base, {recursive: true, force: true})
  })

  it('is set up by `cidx autocomplete bash`, in the plugin cache under the XDG cache dir', async () => {
    expect(setupOutput).to.include('cidx autocomplete script bash')
    const script = await readFile(
      join(home.env.XDG_CACHE_HOME!, 'cidx', 'autocomplete', 'functions', 'bash', 'cidx.bash'),
      'utf8',
    )
    expect(script).to.include('_cidx_autocomplete()')
    expect(script).to.include('complete -F _cidx_jobs_autocomplete cidx')
  })

  it('completes the topic and its commands (hidden ones stay hidden)', () => {
    expect(completions.get('cidx jo')).to.deep.equal(['jobs'])
    expect(completions.get('cidx jobs ')).to.deep.equal([
      'cancel',
      'cleanup',
      'health',
      'list',
      'stats',
      'status',
      'top',
      'watch',
    ])
  })

  it('completes flag names, also after a flag value', () => {
    expect(completions.get('cidx jobs list --st')).to.deep.equal(['--status'])
    expect(completions.get('cidx jobs list --status running --li')).to.deep.equal(['--limit'])
  })

  it('completes --status values, after a space, after "=" and inside a comma list', () => {
    expect(completions.get('cidx jobs list --status ')).to.include.members([...KNOWN_STATUSES])
    expect(completions.get('cidx jobs list --status=ru')).to.deep.equal(['running'])
    expect(completions.get('cidx jobs list --status queued,ru')).to.deep.equal(['queued,running'])
  })

  it('completes --sort keys, descending ones too', () => {
    expect(completions.get('cidx jobs list --sort -cr')).to.deep.equal(['-created'])
  })

  it('completes the IDs `jobs list` showed for status and watch, by prefix, in both spellings of the command', () => {
    const all = [...jobIds].sort()
    expect(completions.get('cidx jobs status ')).to.deep.equal(all)
    expect(completions.get('cidx jobs:status ')).to.deep.equal(all)
    expect(completions.get('cidx jobs watch ')).to.deep.equal(all)
    expect(completions.get(`cidx jobs status ${prefix}`)).to.deep.equal(all.filter((id) => id.startsWith(prefix)))
  })

  it('offers only jobs that can still be cancelled to cancel', () => {
    // seededServer: the newest job is running, the two others have ended.
    expect(completions.get('cidx jobs cancel ')).to.deep.equal([jobIds[0]])
  })

  it('never offers an ID already on the line again', () => {
    expect(completions.get(`cidx jobs status ${jobIds[0]} `)).to.deep.equal(jobIds.slice(1).sort())
  })

  it('offers no job IDs as the value of a flag', () => {
    expect(completions.get('cidx jobs status --timeout ')).to.deep.equal([])
  })

  it('never contacts the server', () => {
    expect(counter.connections).to.equal(0)
  })
})

describe('ecosystem: bash tab completion of job IDs from a hostile server', function () {
  this.timeout(180_000)
  const GOOD_ID = '3f0c9a52-8d1e-4b7a-9c11-5e2d7f6a0b44'
  let home: Sandbox
  let fake: FakeCidx
  let env: NodeJS.ProcessEnv
  /** The working directory of the bash that completes: a glob there would list its files. */
  let work: string
  /** Where the hostile IDs would create files, were they ever run. */
  let target: string

  /** IDs that run `touch` when a shell evaluates them or when the user runs the line they complete, and a glob. */
  const hostileIds = () => [
    `$(touch\${IFS}${target}/pwned-1)`,
    `\`touch\${IFS}${target}/pwned-2\``,
    `;touch\${IFS}${target}/pwned-3`,
    `;touch ${target}/pwned-4`,
    '*',
  ]

  before(async () => {
    expect(existsSync(join(ROOT, 'dist', 'cidx.cjs')), 'dist/ is missing: run `npm run build`').to.equal(true)
    home = await createSandbox('cidx-completion-hostile-', {NO_COLOR: '1'})
    // The built CLI, as installed: bin/run.js and the bundle in dist/.
    const cli = join(home.binDir, 'cidx')
    await writeFile(cli, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'run.js')}" "$@"\n`)
    await chmod(cli, 0o755)
    target = join(home.base, 'target')
    work = join(home.base, 'work')
    await mkdir(work)
    await writeFile(join(work, 'glob-would-list-me'), '')

    const created = pythonIso(new Date())
    const jobs = [...hostileIds(), GOOD_ID].map((jobId) =>
      wireJob({job_id: jobId, status: 'running', created_at: created}),
    )
    fake = await startFakeCidx({paging: 'correct', jobs})
    env = {...home.env, CIDX_SERVER_URL: fake.url, CIDX_TOKEN: fake.token}
    const setup = await run('cidx', ['autocomplete', 'bash'], {env, cwd: home.env.HOME})
    expect(setup.code, setup.stderr).to.equal(0)
  })

  beforeEach(async () => {
    // Each test starts with nothing created, whatever an earlier one left.
    await rm(target, {recursive: true, force: true})
    await mkdir(target)
  })

  after(async () => {
    await fake?.close()
    if (home) await rm(home.base, {recursive: true, force: true})
  })

  async function expectNothingRan(): Promise<void> {
    expect(await readdir(target), 'files the hostile IDs created').to.deep.equal([])
    expect(await readdir(work)).to.deep.equal(['glob-would-list-me'])
  }

  it('keeps them out of the cache `jobs list` writes, and a TAB offers only the real ID', async () => {
    const list = await run('cidx', ['jobs', 'list', '--quiet'], {env, cwd: work})
    expect(list.code, list.stderr).to.equal(0)
    expect(list.stdout.split('\n')).to.include(GOOD_ID) // the listing saw every job
    expect(await readFile(idCachePath(home.configDir, {server: fake.url, user: ''}), 'utf8')).to.include(GOOD_ID)
    const completions = await completeInBash(['cidx jobs status ', 'cidx jobs cancel ', 'cidx jobs watch '], {
      env,
      cwd: work,
    })
    await expectNothingRan()
    expect(completions.get('cidx jobs status ')).to.deep.equal([GOOD_ID])
    expect(completions.get('cidx jobs cancel ')).to.deep.equal([GOOD_ID])
    expect(completions.get('cidx jobs watch ')).to.deep.equal([GOOD_ID])
  })

  it('runs nothing and offers nothing hostile from a cache file written by hand', async () => {
    const hostile = hostileIds().map((jobId) => ({job_id: jobId, job_type: 'sync_repository', status: 'running'}))
    const entries = [...hostile, {job_id: GOOD_ID, job_type: 'sync_repository', status: 'running'}]
    const key = {server: fake.url, user: ''}
    await writeFile(idCachePath(home.configDir, key), JSON.stringify({version: 2, ...key, jobs: entries}))
    const completions = await completeInBash(['cidx jobs status ', 'cidx jobs cancel '], {env, cwd: work})
    await expectNothingRan()
    expect(completions.get('cidx jobs status ')).to.deep.equal([GOOD_ID])
    expect(completions.get('cidx jobs cancel ')).to.deep.equal([GOOD_ID])
  })
})
