/**
 * Root hooks (loaded by .mocharc.json): the PostgreSQL that the CLI tests' cluster nodes share
 * outlives every suite, so it is stopped once, after the whole run.
 */
import {stopSharedPostgres} from './servers/local-server.js'

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedPostgres()
  },
}
