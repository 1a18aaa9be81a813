/**
 * The entry bin/run.js imports. As compiled by tsc it re-exports oclif's `execute`; `npm run build`
 * (scripts/bundle.js) then replaces dist/index.js with a loader that runs the whole CLI from one
 * bundle with the V8 code cache, which is what keeps `cidx` quick to start (README, "Start-up time").
 */
export {execute} from '@oclif/core'
