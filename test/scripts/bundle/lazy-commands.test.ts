import {expect} from 'chai'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

interface LazyCommands {
  checkedCommandIds(dist: string): Promise<string[]>
}

/** The build's own modules are plain JavaScript, without type declarations. */
const buildModule = <T>(file: string) =>
  import(new URL(`../../../scripts/bundle/${file}`, import.meta.url).href) as Promise<T>

const command = (name: string) => `export default class ${name} { static run() {} }\n`
const TWO_COMMANDS = {'commands/jobs/list.js': command('List'), 'commands/login.js': command('Login')}

describe('scripts/bundle/lazy-commands: the command map the bundle evaluates lazily', () => {
  let lazy: LazyCommands
  let dist: string

  before(async () => {
    lazy = await buildModule<LazyCommands>('lazy-commands.js')
  })

  beforeEach(async () => {
    dist = await mkdtemp(join(tmpdir(), 'cidx-lazy-commands-'))
    await writeFile(join(dist, 'package.json'), '{"type": "module"}\n')
  })

  afterEach(async () => {
    await rm(dist, {recursive: true, force: true})
  })

  /** A dist/ as tsc leaves it: commands.js with its map, and the command modules. */
  async function writeDist(map: string, modules: Record<string, string>): Promise<void> {
    await writeFile(join(dist, 'commands.js'), map)
    for (const [file, source] of Object.entries(modules)) {
      await mkdir(dirname(join(dist, file)), {recursive: true})
      await writeFile(join(dist, file), source)
    }
  }

  it('takes the IDs of COMMANDS when each is the default export of the module its ID names', async () => {
    await writeDist(
      "import List from './commands/jobs/list.js'\nimport Login from './commands/login.js'\nexport const COMMANDS = {'jobs:list': List, login: Login}\n",
      TWO_COMMANDS,
    )
    expect(await lazy.checkedCommandIds(dist)).to.deep.equal(['jobs:list', 'login'])
  })

  it('fails the build when an ID does not name the module of its command', async () => {
    await writeDist(
      "import Login from './commands/login.js'\nexport const COMMANDS = {'jobs:list': Login, login: Login}\n",
      TWO_COMMANDS,
    )
    const error = await lazy.checkedCommandIds(dist).then(
      () => {},
      (error_: Error) => error_,
    )
    expect(error?.message).to.equal(
      'COMMANDS["jobs:list"] of src/commands.ts is not the default export of src/commands/jobs/list.ts: a command\'s ID is its file\'s path (docs/build.md)',
    )
  })

  it('fails the build when a module under commands/ has no entry', async () => {
    await writeDist("import Login from './commands/login.js'\nexport const COMMANDS = {login: Login}\n", TWO_COMMANDS)
    const error = await lazy.checkedCommandIds(dist).then(
      () => {},
      (error_: Error) => error_,
    )
    expect(error?.message).to.equal('src/commands/jobs/list.ts: not in COMMANDS of src/commands.ts, so not a command')
  })
})
