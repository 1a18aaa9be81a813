/**
 * The bundle evaluates only the command a run asks for. src/commands.ts imports every command, as
 * oclif's explicit strategy wants a map of classes; in the bundle that module is replaced by one
 * whose entries are getters that require their command's module on first read (esbuild keeps each
 * required ES module as a function that runs once, when first required). A command's ID names its
 * module: `jobs:list` is commands/jobs/list.js, its default export, which the build checks first.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

/** Paths relative to `dist`, with forward slashes, of the JavaScript files under `dir`. */
function javascriptUnder(dist, dir) {
  return readdirSync(join(dist, dir), {recursive: true})
    .filter((file) => file.endsWith('.js'))
    .map((file) => `${dir}/${file.split('\\').join('/')}`)
}

const moduleOf = (id) => `commands/${id.split(':').join('/')}.js`
const sourceOf = (file) => `src/${file.replace(/\.js$/, '.ts')}`

/**
 * The IDs of COMMANDS in tsc's dist/commands.js, once each is checked to be the default export of
 * the module its ID names, and every module under commands/ to have its entry.
 */
export async function checkedCommandIds(dist) {
  const {COMMANDS} = await import(pathToFileURL(join(dist, 'commands.js')).href)
  const files = javascriptUnder(dist, 'commands')
  const ids = Object.keys(COMMANDS)
  for (const id of ids) {
    const file = moduleOf(id)
    const module = files.includes(file) ? await import(pathToFileURL(join(dist, file)).href) : undefined
    if (module?.default !== COMMANDS[id])
      throw new Error(
        `COMMANDS["${id}"] of src/commands.ts is not the default export of ${sourceOf(file)}: a command's ID is its file's path (docs/build.md)`,
      )
  }

  const unlisted = files.filter((file) => !ids.map((id) => moduleOf(id)).includes(file))
  if (unlisted.length > 0)
    throw new Error(
      `${unlisted.map((file) => sourceOf(file)).join(', ')}: not in COMMANDS of src/commands.ts, so not a command`,
    )
  return ids
}

/** What stands in for src/commands.ts in the bundle (an ES module, as its package.json says; esbuild bundles its requires). */
function lazyCommandMap(ids) {
  const getters = ids.map(
    (id) => `  get ${JSON.stringify(id)}() { return require(${JSON.stringify(`./${moduleOf(id)}`)}).default },`,
  )
  return ['export const COMMANDS = {', ...getters, '}', ''].join('\n')
}

/** The esbuild plugin that puts lazyCommandMap in place of dist/commands.js. */
export function lazyCommands(dist, ids) {
  const map = join(dist, 'commands.js')
  return {
    name: 'lazy-commands',
    setup(esbuild) {
      esbuild.onLoad({filter: /[\\/]commands\.js$/}, (args) =>
        args.path === map ? {contents: lazyCommandMap(ids), loader: 'js', resolveDir: dist} : undefined,
      )
    },
  }
}
