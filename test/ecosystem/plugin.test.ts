import {expect} from 'chai'
import {mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import type {Job} from '../../src/jobs/job.js'

import {createSandbox, type Sandbox} from '../helpers/sandbox.js'
import {packOnce, ROOT, run, type SeededServer, seededServer} from './support.js'
import {commandLine, listed, startZsh, ZSH_PROMPT} from './zsh-session.js'

/**
 * A minimal oclif CLI, `acme`, that has nothing but @oclif/plugin-plugins, the way a team's main
 * CLI would. Its two packages come from this checkout's node_modules (symlinked), so building it
 * needs no network.
 */
async function createHostCli(dir: string): Promise<string> {
  await mkdir(join(dir, 'bin'), {recursive: true})
  await mkdir(join(dir, 'node_modules', '@oclif'), {recursive: true})
  for (const name of ['core', 'plugin-plugins']) {
    await symlink(join(ROOT, 'node_modules', '@oclif', name), join(dir, 'node_modules', '@oclif', name), 'dir')
  }

  const packageJson = {
    name: 'acme-host',
    version: '1.0.0',
    private: true,
    type: 'module',
    bin: {acme: './bin/run.js'},
    // oclif loads the plugins of `oclif.plugins` that are also dependencies.
    dependencies: {'@oclif/core': '^4', '@oclif/plugin-plugins': '^5'},
    oclif: {bin: 'acme', dirname: 'acme-host', topicSeparator: ' ', plugins: ['@oclif/plugin-plugins']},
  }
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`)
  const runJs = join(dir, 'bin', 'run.js')
  await writeFile(
    runJs,
    "#!/usr/bin/env node\nimport {execute} from '@oclif/core'\n\nawait execute({dir: import.meta.url})\n",
    {mode: 0o755},
  )
  return runJs
}

describe('ecosystem: installed as a plugin into another oclif CLI', function () {
  // npm pack (shared with the packaging test) and an npm install by plugin-plugins.
  this.timeout(600_000)
  let home: Sandbox
  let server: SeededServer
  let acme: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    home = await createSandbox('cidx-plugin-host-', {NO_COLOR: '1'})
    server = await seededServer()
    acme = await createHostCli(join(home.base, 'acme'))
    // plugin-plugins runs npm in the host's data dir; the packages are in the npm cache already.
    env = {
      ...home.env,
      ...server.env,
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    }
    const tarball = await packOnce()
    const install = await run(acme, ['plugins', 'install', `file:${tarball}`], {env, cwd: home.env.HOME})
    expect(install.code, `${install.stdout}\n${install.stderr}`).to.equal(0)
  })

  after(async () => {
    await server?.close()
    if (home) await rm(home.base, {recursive: true, force: true})
  })

  it('is a user plugin of the host', async () => {
    const plugins = await run(acme, ['plugins', '--core'], {env, cwd: home.env.HOME})
    expect(plugins.stdout).to.match(/cidx-jobs 0\.1\.0/)
    const userPlugins = JSON.parse(
      await readFile(join(home.env.XDG_DATA_HOME!, 'acme-host', 'package.json'), 'utf8'),
    ) as {oclif: {plugins: Array<{name: string; type: string}>}}
    expect(userPlugins.oclif.plugins.find((plugin) => plugin.name === 'cidx-jobs')?.type).to.equal('user')
  })

  it('runs `acme jobs list --json` against the server', async () => {
    const list = await run(acme, ['jobs', 'list', '--json'], {env, cwd: home.env.HOME})
    expect(list.code, list.stderr).to.equal(0)
    const jobs = JSON.parse(list.stdout) as Job[]
    expect(jobs.map((job) => job.job_id)).to.deep.equal(server.jobIds)
  })

  it('ends a failure with its own message, a hint naming the host, and its exit code; the host adds nothing', async () => {
    const status = await run(acme, ['jobs', 'status', '00000000-0000-0000-0000-000000000000'], {
      env,
      cwd: home.env.HOME,
    })
    expect(status.code, status.stderr).to.equal(4)
    expect(status.stderr).to.match(/^Error: No job found for "0{8}-/)
    expect(status.stderr).not.to.include('EEXIT')
    // Its hint names the command as the host's users type it.
    expect(status.stderr).to.include('Check the ID with `acme jobs list --all`')
    const usage = await run(acme, ['jobs', 'list', '--limit', '0'], {env, cwd: home.env.HOME})
    expect(usage.code, usage.stderr).to.equal(2)
    expect(usage.stderr.trim().split('\n')[0]).to.equal('Error: --limit must be an integer of at least 1 (got 0).')
    expect(usage.stderr).not.to.include('EEXIT')
  })

  it('lists the jobs commands in `acme jobs --help`, under the host binary', async () => {
    const help = await run(acme, ['jobs', '--help'], {env, cwd: home.env.HOME})
    expect(help.code, help.stderr).to.equal(0)
    expect(help.stdout).to.include('$ acme jobs COMMAND')
    for (const command of ['cancel', 'list', 'status', 'watch'])
      expect(help.stdout).to.match(new RegExp(`^ +jobs ${command} +\\S`, 'm'))
    expect(help.stdout).not.to.include('recent-ids')
  })

  it("completes job IDs and flag values in zsh under the host's name", async () => {
    const cwd = home.env.HOME!
    const setup = await run(acme, ['autocomplete', 'zsh'], {env, cwd})
    expect(setup.code, setup.stderr).to.equal(0)
    const script = await run(acme, ['autocomplete', 'script', 'zsh'], {env, cwd})
    await writeFile(join(cwd, '.zshrc'), `PS1='${ZSH_PROMPT}'\n${script.stdout}`)
    // The cache the completion reads: what the user saw with the host's command.
    expect((await run(acme, ['jobs', 'list', '--quiet'], {env, cwd})).code).to.equal(0)
    // Installed, the host is `acme` on the PATH: the completion runs it by that name.
    await symlink(acme, join(home.binDir, 'acme'))
    const zsh = await startZsh(home.base, {env, cwd})
    try {
      const statuses = await zsh.complete('acme jobs list --status=ru', (screen) => screen.includes('running'))
      expect(commandLine(statuses), statuses).to.equal('acme jobs list --status=running')
      const ids = await zsh.complete('acme jobs status ', (screen) => server.jobIds.every((id) => screen.includes(id)))
      expect(listed(ids), ids).to.match(new RegExp(`^${server.jobIds[0]} +-- add_golden_repo, running, docs$`, 'm'))
    } finally {
      await zsh.close()
    }
  })
})
