import {type ServerHandle, startServer} from '@cidx/local-server'
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {Job} from '../../src/lib/job.js'

const run = promisify(execFile)
const ROOT = new URL('../..', import.meta.url).pathname
const DIST = join(ROOT, 'dist')

/** What `npm run build` (tsc + scripts/bundle.js) leaves in dist/; `npm test` builds first. */
describe('scripts/bundle.js: the built CLI', function () {
  this.timeout(60_000)
  let server: ServerHandle
  let base: string
  let env: NodeJS.ProcessEnv

  before(async function () {
    expect(existsSync(join(DIST, 'cidx.cjs')), 'dist/cidx.cjs is missing: run `npm run build`').to.equal(true)
    base = await mkdtemp(join(tmpdir(), 'cidx-bundle-'))
    server = await startServer({port: 0, dataDir: join(base, 'server'), adminPassword: 'admin-pw'})
    for (const status of ['completed', 'running']) server.testing.insertJob({status, username: 'admin'})
    env = {
      PATH: process.env.PATH,
      HOME: base,
      CIDX_CONFIG_DIR: join(base, 'config'),
      CIDX_CACHE_DIR: join(base, 'cache'),
      CIDX_SERVER_URL: server.url,
      CIDX_TOKEN: await server.testing.createAccessToken('admin', {ttlSeconds: 600}),
    }
  })

  after(async () => {
    await server?.close()
    await rm(base, {recursive: true, force: true})
  })

  it('keeps the paths oclif loads, as stubs that take their module from dist/cidx.cjs', async () => {
    // Commands and hooks, loaded on every run, are CommonJS (their directory's package.json says so); the help class stays an ES module.
    const stub = await readFile(join(DIST, 'commands', 'jobs', 'list.js'), 'utf8')
    expect(stub).to.include('module.exports = require("../../cidx.cjs").modules["commands/jobs/list.js"]')
    expect(await readFile(join(DIST, 'hooks', 'extend-completion.js'), 'utf8')).to.include('require("../cidx.cjs")')
    for (const dir of ['commands', 'hooks']) expect(JSON.parse(await readFile(join(DIST, dir, 'package.json'), 'utf8'))).to.deep.equal({type: 'commonjs'})
    expect(await readFile(join(DIST, 'help.js'), 'utf8')).to.include('createRequire(import.meta.url)("./cidx.cjs").modules["help.js"]')
    expect(await readFile(join(DIST, 'index.js'), 'utf8')).to.include("createRequire(import.meta.url)('./code-cache.cjs')")
  })

  it('runs jobs list from the bundle, fills the code cache, and runs again from it', async () => {
    const list = async () => JSON.parse((await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--json'], {env, cwd: base})).stdout) as Job[]
    const first = await list()
    expect(first.map((job) => job.status)).to.deep.equal(['running', 'completed'])
    const cached = await readdir(join(base, 'cache', 'code-cache'))
    expect(cached).to.have.length(1)
    expect(cached[0]).to.match(/^cidx\.cjs-[\da-f]{16}-v\d+\.\d+\.\d+-\w+\.bin$/)
    expect(await list()).to.deep.equal(first)
  })

  it('loads none of the built-in modules a listing does not use (the deferrals of scripts/bundle.js)', async () => {
    const record = join(base, 'modules.json')
    const preload = join(base, 'record-modules.cjs')
    await writeFile(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.moduleLoadList)))\n`)
    await run(process.execPath, ['--require', preload, join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--json'], {env, cwd: base})
    const loaded = new Set((JSON.parse(await readFile(record, 'utf8')) as string[]).map((entry) => entry.replace(/^NativeModule /, '')))
    expect(loaded.has('http'), 'the record lists what was loaded').to.equal(true)
    for (const unused of ['http2', 'child_process', 'perf_hooks', 'dns', 'tty']) expect(loaded.has(unused), `node:${unused} was loaded`).to.equal(false)
  })

  it('shows help and usage errors from the bundle (help class, one-line errors, exit 2)', async () => {
    const help = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--help'], {env, cwd: base})
    expect(help.stdout).to.include('EXIT CODES')
    const usage = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--status', 'nope'], {env, cwd: base}).catch((error: {code: number; stderr: string}) => error)
    expect(usage).to.include({code: 2})
    expect((usage as {stderr: string}).stderr).to.match(/^Error: Unknown status "nope"/)
  })
})
