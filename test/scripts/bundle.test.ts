import type {ServerHandle} from '@cidx/local-server'

import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {cp, mkdir, mkdtemp, readdir, readFile, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'
import stringWidth from 'string-width'

import type {Job} from '../../src/jobs/job.js'

import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {startLocalServer} from '../helpers/servers/local-server.js'

const run = promisify(execFile)

/** The part of a NODE_V8_COVERAGE report these tests read. */
interface V8Coverage {
  result: Array<{functions: Array<{functionName: string; ranges: Array<{count: number}>}>; url: string}>
}
const ROOT = new URL('../..', import.meta.url).pathname
const DIST = join(ROOT, 'dist')

/** What `npm run build` (tsc + scripts/bundle/) leaves in dist/; `npm test` builds first. */
describe('scripts/bundle: the built CLI', function () {
  this.timeout(60_000)
  let server: ServerHandle
  let sandbox: Sandbox
  let base: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    expect(existsSync(join(DIST, 'cidx.cjs')), 'dist/cidx.cjs is missing: run `npm run build`').to.equal(true)
    sandbox = await createSandbox('cidx-bundle-')
    base = sandbox.base
    server = await startLocalServer({port: 0, dataDir: join(base, 'server'), adminPassword: 'admin-pw'})
    for (const status of ['completed', 'running']) await server.testing.insertJob({status, username: 'admin'})
    // The config and cache dirs through the CLI's own variables, which the bundle's cache loader reads too.
    env = {
      ...sandbox.env,
      CIDX_CONFIG_DIR: join(base, 'config'),
      CIDX_CACHE_DIR: join(base, 'cache'),
      CIDX_SERVER_URL: server.url,
      CIDX_TOKEN: await server.testing.createAccessToken('admin', {ttlSeconds: 600}),
    }
  })

  after(async () => {
    await server?.close()
    await sandbox?.remove()
  })

  it('makes dist/index.js a loader that takes the CLI from dist/cidx.cjs with the code cache', async () => {
    expect(await readFile(join(DIST, 'index.js'), 'utf8')).to.include(
      "createRequire(import.meta.url)('./code-cache.cjs')",
    )
  })

  it('runs jobs list from the bundle, fills the code cache, and runs again from it', async () => {
    const list = async () =>
      JSON.parse(
        (await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--json'], {env, cwd: base})).stdout,
      ) as Job[]
    const first = await list()
    expect(first.map((job) => job.status)).to.deep.equal(['running', 'completed'])
    const cached = await readdir(join(base, 'cache', 'code-cache'))
    expect(cached).to.have.length(1)
    expect(cached[0]).to.match(/^cidx\.cjs-[\da-f]{16}-v\d+\.\d+\.\d+-\w+\.bin$/)
    expect(await list()).to.deep.equal(first)
  })

  it('loads none of the built-in modules a listing does not use (the deferrals of scripts/bundle/patches.js)', async () => {
    const record = join(base, 'modules.json')
    const preload = join(base, 'record-modules.cjs')
    await writeFile(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.moduleLoadList)))\n`,
    )
    await run(process.execPath, ['--require', preload, join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--json'], {
      env,
      cwd: base,
    })
    const loaded = new Set(
      (JSON.parse(await readFile(record, 'utf8')) as string[]).map((entry) => entry.replace(/^NativeModule /, '')),
    )
    expect(loaded.has('http'), 'the record lists what was loaded').to.equal(true)
    for (const unused of ['http2', 'child_process', 'perf_hooks', 'dns', 'tty'])
      expect(loaded.has(unused), `node:${unused} was loaded`).to.equal(false)
  })

  it('lines a table up by terminal columns with wide repository names (string-width, patched to load lazily)', async () => {
    const wide = await startLocalServer({port: 0, dataDir: join(base, 'wide-server'), adminPassword: 'admin-pw'})
    try {
      for (const alias of ['日本語のリポジトリ', '👨‍👩‍👧-family', 'plain'])
        await wide.testing.insertJob({status: 'completed', username: 'admin', result: {alias}})
      const wideEnv = {
        ...env,
        CIDX_SERVER_URL: wide.url,
        CIDX_TOKEN: await wide.testing.createAccessToken('admin', {ttlSeconds: 600}),
        COLUMNS: '200',
      }
      const {stdout} = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list'], {
        env: wideEnv,
        cwd: base,
      })
      const lines = stdout.split('\n').filter((line) => line.startsWith('ID') || line.endsWith('admin'))
      expect(lines).to.have.length(4)
      // Where the USER column starts, in terminal columns: the same on every line.
      const userAt = lines.map((line) =>
        stringWidth(line.slice(0, line.lastIndexOf(line.startsWith('ID') ? 'USER' : 'admin'))),
      )
      expect(new Set(userAt).size, stdout).to.equal(1)
    } finally {
      await wide.close()
    }
  })

  it('shows help and usage errors from the bundle (help class, one-line errors, exit 2)', async () => {
    const help = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--help'], {env, cwd: base})
    expect(help.stdout).to.include('EXIT CODES')
    const usage = await run(process.execPath, [join(ROOT, 'bin', 'run.js'), 'jobs', 'list', '--status', 'nope'], {
      env,
      cwd: base,
    }).catch((error: {code: number; stderr: string}) => error)
    expect(usage).to.include({code: 2})
    expect((usage as {stderr: string}).stderr).to.match(/^Error: Unknown status "nope"/)
  })

  /**
   * The CLI as `npm install` lays it out, with the manifest `npm pack` adds (without it oclif
   * loads every command to describe them), but of dist/ only what the bundled CLI should need.
   */
  describe('installed with the manifest, dist/ reduced to the loader, the bundle and the cache loader', () => {
    const BUNDLED = ['index.js', 'cidx.cjs', 'code-cache.cjs']
    let installed: string
    let installedEnv: NodeJS.ProcessEnv

    before(async () => {
      installed = join(base, 'installed')
      await mkdir(join(installed, 'bin'), {recursive: true})
      await mkdir(join(installed, 'dist'))
      await cp(join(ROOT, 'package.json'), join(installed, 'package.json'))
      await cp(join(ROOT, 'bin', 'run.js'), join(installed, 'bin', 'run.js'))
      for (const file of BUNDLED) await cp(join(DIST, file), join(installed, 'dist', file))
      await symlink(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir')
      installedEnv = {...env, CIDX_CACHE_DIR: join(base, 'installed-cache'), OCLIF_SKIP_NEW_VERSION_CHECK: 'true'}
      await run(join(ROOT, 'node_modules', '.bin', 'oclif'), ['manifest'], {env: installedEnv, cwd: installed})
    })

    const cidx = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
      run(process.execPath, [join(installed, 'bin', 'run.js'), ...args], {
        env: {...installedEnv, ...extraEnv},
        cwd: base,
      })

    /**
     * The bundle's modules that wait for their first use (`lazy`) and those of them a run evaluated:
     * V8 coverage names each one's function by the module's path (esbuild's `__esm` keys).
     */
    async function modulesOf(args: string[]): Promise<{evaluated: string[]; lazy: string[]}> {
      const coverage = await mkdtemp(join(base, 'coverage-'))
      await cidx(args, {NODE_V8_COVERAGE: coverage})
      const reports = await Promise.all(
        (await readdir(coverage)).map(
          async (file) => JSON.parse(await readFile(join(coverage, file), 'utf8')) as V8Coverage,
        ),
      )
      const bundle = reports.flatMap((report) => report.result).find((script) => script.url.endsWith('/dist/cidx.cjs'))
      expect(bundle, 'V8 coverage of dist/cidx.cjs').not.to.equal(undefined)
      const modules = bundle!.functions.filter((fn) => /^(dist|node_modules)\/.+\.[cm]?js$/.test(fn.functionName))
      return {
        lazy: modules.map((fn) => fn.functionName),
        evaluated: modules.filter((fn) => fn.ranges[0].count > 0).map((fn) => fn.functionName),
      }
    }

    const COMMAND_MODULES = [
      ...['cancel', 'list', 'recent-ids', 'status', 'watch'].map((name) => `dist/commands/jobs/${name}.js`),
      ...['login', 'logout', 'whoami'].map((name) => `dist/commands/${name}.js`),
    ]
    const GOT = 'node_modules/got/dist/source/index.js'

    it('lists, shows help and extends the completion (the hook) from those three files', async () => {
      const jobs = JSON.parse((await cidx(['jobs', 'list', '--json'])).stdout) as Job[]
      expect(jobs.map((job) => job.status)).to.deep.equal(['running', 'completed'])
      expect((await cidx(['jobs', 'list', '--help'])).stdout).to.include('EXIT CODES')
      await cidx(['autocomplete', 'bash'])
      const script = await readFile(
        join(base, 'installed-cache', 'autocomplete', 'functions', 'bash', 'cidx.bash'),
        'utf8',
      )
      expect(script).to.include('complete -F _cidx_jobs_autocomplete cidx')
    })

    it('evaluates only the command a run asks for', async () => {
      const {lazy, evaluated} = await modulesOf(['jobs', 'list', '--json'])
      expect(lazy).to.include.members([...COMMAND_MODULES, GOT])
      expect(evaluated.filter((module) => COMMAND_MODULES.includes(module))).to.deep.equal([
        'dist/commands/jobs/list.js',
      ])
    })

    it('lists with --json without evaluating the table code, string-width, p-limit or the proxy agent', async () => {
      const unused = [
        'dist/ui/table.js',
        'dist/ui/text-width.js',
        'node_modules/string-width/index.js',
        'node_modules/p-limit/index.js',
        'node_modules/https-proxy-agent/dist/index.js',
      ]
      const {lazy, evaluated} = await modulesOf(['jobs', 'list', '--json'])
      expect(lazy).to.include.members(unused)
      expect(evaluated.filter((module) => unused.includes(module))).to.deep.equal([])
    })

    it("shows a command's help without evaluating any command or got", async () => {
      const {lazy, evaluated} = await modulesOf(['jobs', 'list', '--help'])
      expect(lazy).to.include.members([...COMMAND_MODULES, GOT])
      expect(evaluated.filter((module) => COMMAND_MODULES.includes(module) || module === GOT)).to.deep.equal([])
    })
  })
})
