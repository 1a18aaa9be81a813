import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

type Oclif = Record<string, unknown>

interface OclifTarget {
  checkTargetExports(dist: string, names: string[]): Promise<void>
  targetExports(oclif: Oclif): string[]
}

/** The build's own modules are plain JavaScript, without type declarations. */
const buildModule = <T>(file: string) =>
  import(new URL(`../../../scripts/bundle/${file}`, import.meta.url).href) as Promise<T>

describe('scripts/bundle/oclif-target: everything oclif loads comes from dist/index.js', () => {
  let target: OclifTarget
  let oclif: Oclif

  before(async () => {
    target = await buildModule<OclifTarget>('oclif-target.js')
    ;({oclif} = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {oclif: Oclif})
  })

  it("names the exports bin/run.js and package.json's oclif section load", () => {
    expect(target.targetExports(oclif)).to.deep.equal([
      'execute',
      'COMMANDS',
      'CidxHelp',
      'commandNotFound',
      'extendCompletion',
    ])
    const names = target.targetExports({
      ...oclif,
      hooks: {
        init: [
          {target: './dist/index.js', identifier: 'first'},
          {target: './dist/index.js', identifier: 'second'},
        ],
      },
    })
    expect(names).to.deep.equal(['execute', 'COMMANDS', 'CidxHelp', 'first', 'second'])
  })

  it('fails the build when oclif would scan a commands directory or load a module of its own', () => {
    expect(() => target.targetExports({...oclif, commands: './dist/commands'})).to.throw(
      'package.json oclif.commands must use the "explicit" strategy',
    )
    expect(() => target.targetExports({...oclif, helpClass: './dist/help.js'})).to.throw(
      'package.json oclif.helpClass must be {"target": "./dist/index.js", "identifier": NAME}',
    )
    const elsewhere = {
      ...oclif,
      hooks: {init: [{target: './dist/index.js', identifier: 'first'}, './dist/hooks/init.js']},
    }
    expect(() => target.targetExports(elsewhere)).to.throw(
      'package.json oclif.hooks.init must be {"target": "./dist/index.js", "identifier": NAME}',
    )
  })

  it('fails the build when src/index.ts lacks an export that is to be loaded', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'cidx-oclif-target-'))
    try {
      await writeFile(join(dist, 'package.json'), '{"type": "module"}\n')
      await writeFile(join(dist, 'index.js'), 'export const execute = () => {}\nexport const COMMANDS = {}\n')
      await target.checkTargetExports(dist, ['execute', 'COMMANDS'])
      const error = await target.checkTargetExports(dist, ['execute', 'COMMANDS', 'CidxHelp']).then(
        () => {},
        (error_: Error) => error_,
      )
      expect(error?.message).to.equal(
        'src/index.ts does not export CidxHelp, which package.json oclif or bin/run.js load from ./dist/index.js',
      )
    } finally {
      await rm(dist, {recursive: true, force: true})
    }
  })
})
