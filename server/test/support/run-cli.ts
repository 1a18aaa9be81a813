// Runs the server CLI from source in a child process (tests: restart after a kill, first-start output).
import {main} from '../../src/cli.js'

await main(process.argv.slice(2))
