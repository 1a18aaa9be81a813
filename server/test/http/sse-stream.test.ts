import {expect} from 'chai'
import {once} from 'node:events'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {type AddressInfo, connect, type Socket} from 'node:net'

import {SseStream} from '../../src/http/sse-stream.js'

const LIMITS = {maxBlockedMs: 1000, maxPendingBytes: 64 * 1024}

/** A real server whose one request is handed over, to answer once the test says. */
async function serverWithOneRequest(): Promise<{
  request: Promise<{request: IncomingMessage; response: ServerResponse}>
  server: Server
}> {
  let handOver: ((exchange: {request: IncomingMessage; response: ServerResponse}) => void) | undefined
  const request = new Promise<{request: IncomingMessage; response: ServerResponse}>((resolve) => {
    handOver = resolve
  })
  const server = createServer((req, res) => handOver?.({request: req, response: res}))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {server, request}
}

/** A client that has sent one request to `server`, on its own socket. */
async function sendRequest(server: Server): Promise<Socket> {
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  await once(client, 'connect')
  client.write('GET /api/jobs/events HTTP/1.1\r\nHost: localhost\r\n\r\n')
  return client
}

describe('server: an SSE stream', () => {
  let server: Server | undefined

  afterEach(() => {
    server?.close()
    server = undefined
  })

  it('runs a close listener added after its client left (a request still being authenticated, say)', async () => {
    const served = await serverWithOneRequest()
    server = served.server
    const client = await sendRequest(server)
    const {request, response} = await served.request
    client.destroy()
    if (!request.socket.destroyed) await once(request.socket, 'close')

    const stream = new SseStream(response, LIMITS)
    let closed = 0
    stream.onClose(() => closed++)
    expect(closed).to.equal(1)
    expect(stream.closed).to.equal(true)
  })

  it('runs a close listener once, when its client leaves later', async () => {
    const served = await serverWithOneRequest()
    server = served.server
    const client = await sendRequest(server)
    const {response} = await served.request
    const stream = new SseStream(response, LIMITS)
    let closed = 0
    stream.onClose(() => closed++)
    stream.open(2000)
    await once(client, 'data')
    expect(closed).to.equal(0)
    client.destroy()
    await once(response, 'close')
    expect(closed).to.equal(1)
  })
})
