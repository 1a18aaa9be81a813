/**
 * The entry bin/run.js starts from. After `npm run build` (scripts/bundle.js), this file and the
 * command files share one bundled copy of @oclif/core, got and the CLI's code, so the CLI loads a
 * few large files instead of hundreds of small ones: see "Start-up time" in the README.
 */
export {execute} from '@oclif/core'
