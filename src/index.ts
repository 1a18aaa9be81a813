/**
 * What bin/run.js imports (`execute`) and the one module oclif loads from this package
 * (package.json `oclif`): the command map, the help class and the hooks, each by the export
 * name package.json gives. `npm run build` replaces dist/index.js with a loader that takes all of
 * them from one bundle with the V8 code cache, so a run loads no other file of dist/ (docs/build.md).
 */

export {COMMANDS} from './commands.js'
export {default as CidxHelp} from './help.js'
export {default as commandNotFound} from './hooks/command-not-found.js'
export {default as extendCompletion} from './hooks/extend-completion.js'
export {execute} from '@oclif/core'
