import {expect} from 'chai'
import {readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'

import type {Job} from '../../src/jobs/job.js'

import {createSandbox} from '../helpers/sandbox.js'
import {packOnce, ROOT, run, seededServer} from './support.js'

/** Paths in the tarball that belong to development, never to users. */
const NOT_SHIPPED =
  /^package\/(test|server|bench|src|scripts|coverage|docs|\.ci)\/|^package\/bin\/(dev|demo)\.js$|\.test\.|\.tgz$/

describe('ecosystem: npm pack, global install, run', function () {
  // Builds, packs and installs from the npm cache: slow by nature, so one test does it all.
  this.timeout(600_000)

  it('packs bin, dist, the manifest and the README only, and the globally installed cidx works', async () => {
    const home = await createSandbox('cidx-pack-install-', {NO_COLOR: '1'})
    const server = await seededServer()
    try {
      const tarball = await packOnce()
      const files = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean)
      expect(files).to.include.members([
        'package/package.json',
        'package/README.md',
        'package/bin/run.js',
        'package/oclif.manifest.json',
        'package/dist/commands/jobs/list.js',
        'package/dist/hooks/extend-completion.js',
      ])
      expect(files.filter((file) => NOT_SHIPPED.test(file))).to.deep.equal([])

      const manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/oclif.manifest.json'])).stdout) as {
        commands: Record<string, unknown>
      }
      expect(Object.keys(manifest.commands)).to.include.members([
        'jobs:list',
        'jobs:status',
        'jobs:watch',
        'jobs:cancel',
        'login',
      ])
      const packageJson = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as {
        dependencies: Record<string, string>
      }
      expect(Object.keys(packageJson.dependencies)).not.to.include('@cidx/local-server')

      const prefix = join(home.base, 'prefix')
      const install = await run(
        'npm',
        ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
        {env: home.env},
      )
      expect(install.code, install.stderr).to.equal(0)
      const cidx = join(prefix, 'bin', 'cidx')

      const version = await run(cidx, ['--version'], {env: home.env, cwd: home.env.HOME})
      expect(version.code, version.stderr).to.equal(0)
      const {version: expected} = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {version: string}
      expect(version.stdout).to.match(new RegExp(`^cidx-jobs/${expected.replaceAll('.', String.raw`\.`)} `))

      // The shipped hook extends the plugin's completion script (job IDs, flag values).
      const completion = await run(cidx, ['autocomplete', 'bash'], {env: home.env, cwd: home.env.HOME})
      expect(completion.code, completion.stderr).to.equal(0)
      const script = await readFile(
        join(home.env.XDG_CACHE_HOME!, 'cidx', 'autocomplete', 'functions', 'bash', 'cidx.bash'),
        'utf8',
      )
      expect(script).to.include('complete -F _cidx_jobs_autocomplete cidx')

      const list = await run(cidx, ['jobs', 'list', '--json'], {env: {...home.env, ...server.env}, cwd: home.env.HOME})
      expect(list.code, list.stderr).to.equal(0)
      const jobs = JSON.parse(list.stdout) as Job[]
      expect(jobs.map((job) => job.job_id)).to.deep.equal(server.jobIds)
      expect(jobs.map((job) => job.status)).to.deep.equal(['running', 'failed', 'completed'])
      // ...and the listing filled the cache (of that server and user) that completion reads.
      const recent = await run(cidx, ['jobs', 'recent-ids'], {env: {...home.env, ...server.env}, cwd: home.env.HOME})
      expect(recent.stdout.split('\n').filter(Boolean)).to.deep.equal(server.jobIds)
    } finally {
      await server.close()
      await rm(home.base, {recursive: true, force: true})
    }
  })
})
