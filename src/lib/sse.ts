/** A Server-Sent Events message: `event` defaults to "message", `data` joins the data lines. */
export interface ServerSentEvent {
  event: string
  data: string
}

function parseBlock(block: string): ServerSentEvent | null {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue // comments are heartbeats
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }

  return data.length > 0 ? {data: data.join('\n'), event} : null
}

/** Reads events from a byte stream as they arrive; blocks are separated by a blank line. */
export async function* parseServerSentEvents(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of chunks) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, {stream: true})
    let boundary = buffer.search(/\r?\n\r?\n/)
    while (boundary !== -1) {
      const block = buffer.slice(0, boundary)
      buffer = buffer.slice(boundary).replace(/^\r?\n\r?\n/, '')
      const event = parseBlock(block)
      if (event) yield event
      boundary = buffer.search(/\r?\n\r?\n/)
    }
  }
}
