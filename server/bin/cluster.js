#!/usr/bin/env node
// Runs the built cluster launcher (server/dist); `npm run build` at the root builds it.
import {main} from '../dist/cluster/launch-cluster.js'

try {
  await main(process.argv.slice(2))
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error))
  // eslint-disable-next-line n/no-process-exit -- the command's exit status is its interface, and a failed start may leave handles open
  process.exit(1)
}
