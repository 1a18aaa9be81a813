import type {AddressInfo, Socket} from 'node:net'

import {createServer, type Server} from 'node:http'

/**
 * An HTTP "git server" that accepts requests and never answers: a clone from it runs (git and
 * git-remote-http alive) until it is cancelled. The URL is a plain http:// git URL.
 */
export async function startHangingGitServer(): Promise<{close(): Promise<void>; requests: () => number; url: string}> {
  const sockets = new Set<Socket>()
  let requests = 0
  const server: Server = createServer(() => {
    requests++
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve)
  })
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/never/answers.git`,
    requests: () => requests,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
      })
    },
  }
}
