import {ProtocolError} from '../errors.js'

/** A Server-Sent Events message: `event` defaults to "message", `data` joins the data lines. */
export interface ServerSentEvent {
  data: string
  event: string
}

/**
 * The most one event may hold while it arrives: 1 MiB of text (a character is at least a byte). A
 * job event is one job, a few KiB; an event past this is a broken or hostile stream, and reading
 * on would hold it all in memory.
 */
export const MAX_EVENT_CHARS = 1024 * 1024

function parseBlock(block: string): null | ServerSentEvent {
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

/** Splits `text` into its complete blocks and the unfinished rest. */
function splitBlocks(text: string): {blocks: string[]; rest: string} {
  const blocks = text.split(/\r?\n\r?\n/)
  return {blocks, rest: blocks.pop() ?? ''}
}

/**
 * Reads events from a byte stream as they arrive; blocks are separated by a blank line. An event
 * that grows past MAX_EVENT_CHARS is a ProtocolError, thrown at once: the caller stops reading.
 */
export async function* parseServerSentEvents(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  // The unfinished event, kept in pieces: joined (and searched whole) only once it is complete,
  // so that a long event arriving in many small chunks costs no more than its length.
  let pieces: string[] = []
  let pending = 0
  // Its last 3 characters: a blank line (at most \r\n\r\n) that a new chunk completes starts there.
  let tail = ''
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, {stream: true})
    if (/\r?\n\r?\n/.test(tail + text)) {
      const {blocks, rest} = splitBlocks(pieces.join('') + text)
      for (const block of blocks) {
        const event = parseBlock(block)
        if (event) yield event
      }

      pieces = [rest]
      pending = rest.length
      tail = rest.slice(-3)
    } else {
      pieces.push(text)
      pending += text.length
      tail = (tail + text).slice(-3)
    }

    if (pending > MAX_EVENT_CHARS)
      throw new ProtocolError('The server pushed an event larger than 1 MiB: stopped reading the event stream')
  }
}
