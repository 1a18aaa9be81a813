import type {FastifyInstance} from 'fastify'

import type {StorageMonitor} from '../db/storage-monitor.js'

/** Requests that only read; every other one writes to SQLite (a login its refresh token, a cancel its job). */
const READING_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * While the data dir's storage is full or failing, requests that write are answered 503 (see
 * handleError) before they start, so none is left half-done; any storage error a handler meets
 * is reported to the monitor, which /health reads.
 */
export function guardStorage(app: FastifyInstance, storage: StorageMonitor): void {
  app.addHook('onRequest', async (request) => {
    if (!READING_METHODS.has(request.method)) storage.assertWritable()
  })
  app.addHook('onError', async (_request, _reply, error) => {
    storage.noteFailure(error)
  })
}
