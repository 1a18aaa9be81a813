#!/usr/bin/env node
// Runs the built server (server/dist); `npm run build` at the root builds it.
import {main} from '../dist/cli.js'

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
