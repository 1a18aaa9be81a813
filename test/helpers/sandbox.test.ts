import {Config} from '@oclif/core'
import {runCommand} from '@oclif/test'
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {createSandbox, type Sandbox} from './sandbox.js'

const ROOT = new URL('../..', import.meta.url).pathname

/** What a developer's shell may hold that must not reach the CLI under test. */
const OUTER = {
  CIDX_SERVER_URL: 'http://outer.invalid',
  CIDX_TOKEN: 'cidx_sk_outer',
  CIDX_CONFIG_DIR: '/outer/config',
  XDG_CONFIG_HOME: '/outer/xdg-config',
  XDG_CACHE_HOME: '/outer/xdg-cache',
  NO_COLOR: '1',
  NODE_ENV: 'production',
}

describe('test helper: sandbox', () => {
  let sandbox: Sandbox | undefined
  let saved: NodeJS.ProcessEnv

  beforeEach(() => {
    saved = {...process.env}
    Object.assign(process.env, OUTER)
  })

  afterEach(async () => {
    await sandbox?.remove()
    sandbox = undefined
    for (const name of Object.keys(OUTER)) delete process.env[name]
    Object.assign(process.env, saved)
  })

  it('gives a child an environment with a temp HOME in the XDG layout and none of the outer CIDX_*, XDG_*, colour or NODE_ENV', async () => {
    sandbox = await createSandbox('cidx-sandbox-test-', {NO_COLOR: '1'})
    const {env, base} = sandbox
    expect(env).to.include({
      HOME: join(base, 'home'),
      XDG_CONFIG_HOME: join(base, 'home', '.config'),
      XDG_CACHE_HOME: join(base, 'home', '.cache'),
      NO_COLOR: '1',
    })
    expect(env.PATH!.split(':')[0]).to.equal(sandbox.binDir)
    expect(Object.keys(env).filter((name) => name.startsWith('CIDX_') || name === 'NODE_ENV')).to.deep.equal([])
    expect(sandbox.configDir).to.equal(join(base, 'home', '.config', 'cidx'))
    expect(existsSync(sandbox.home) && existsSync(sandbox.binDir)).to.equal(true)
  })

  it('in-process: oclif takes its dirs from the sandbox, and the outer credentials do not reach the CLI', async () => {
    sandbox = await createSandbox()
    // As @oclif/test runs a command: NODE_ENV=test loads src/ (the bundle in dist/ would write its
    // code cache into the sandbox when this process exits, after the sandbox is gone).
    sandbox.enter({NODE_ENV: 'test'})
    expect(process.cwd()).to.equal(sandbox.base)
    const config = await Config.load({root: ROOT})
    expect({configDir: config.configDir, cacheDir: config.cacheDir}).to.deep.equal({
      configDir: sandbox.configDir,
      cacheDir: sandbox.cacheDir,
    })
    const {error} = await runCommand(['jobs', 'list'], {root: ROOT})
    expect((error as undefined | {oclif?: {exit?: number}})?.oclif?.exit, 'nothing configured').to.equal(3)
  })

  it('undoes an enter exactly (environment and working directory), also from remove(), and only once', async () => {
    const cwd = process.cwd()
    const before = {...process.env}
    sandbox = await createSandbox()
    const leave = sandbox.enter({CIDX_TOKEN: 'inner'})
    const inner = {...process.env}
    const leaveNested = sandbox.enter({CIDX_TOKEN: 'nested'})
    expect(process.env.CIDX_TOKEN).to.equal('nested')
    leaveNested()
    expect(process.env).to.deep.equal(inner)
    await sandbox.remove()
    expect(process.env).to.deep.equal(before)
    expect(process.cwd()).to.equal(cwd)
    expect(existsSync(sandbox.base)).to.equal(false)
    process.env.CIDX_TOKEN = 'set after remove'
    leave()
    expect(process.env.CIDX_TOKEN, 'a second undo restores nothing stale').to.equal('set after remove')
  })
})
