import {type IncomingHttpHeaders, request} from 'node:http'
import {connect} from 'node:net'

import type {WireBody} from './api.js'

export interface NodeResponse {
  body: WireBody
  headers: IncomingHttpHeaders
  status: number
  text: string
}

export interface NodeRequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** The client's source address, e.g. 127.0.0.2 to be another loopback client. */
  localAddress?: string
  method?: string
}

/** A request through node:http, for what fetch will not do: a Host header of our choosing, a source address. */
export function nodeRequest(baseUrl: string, path: string, options: NodeRequestOptions = {}): Promise<NodeResponse> {
  const {hostname, port} = new URL(baseUrl)
  const body = options.body === undefined ? undefined : JSON.stringify(options.body)
  const headers = {...(body === undefined ? {} : {'content-type': 'application/json'}), ...options.headers}
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {host: hostname, port, path, method: options.method ?? 'GET', headers, localAddress: options.localAddress},
      (response) => {
        let text = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        response.on('end', () => {
          const json = (response.headers['content-type'] ?? '').includes('json') && text !== ''
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: json ? JSON.parse(text) : text,
            text,
          })
        })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

/** Sends raw bytes (malformed HTTP) and resolves with everything the server sends back before it closes. */
export function rawExchange(baseUrl: string, bytes: string): Promise<string> {
  const {hostname, port} = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const socket = connect({host: hostname, port: Number(port)}, () => socket.write(bytes))
    let received = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk))
    socket.on('close', () => resolve(received))
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? resolve(received) : reject(error),
    )
  })
}

/** The JSON body of a raw HTTP answer. */
export function rawBody(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))
}
