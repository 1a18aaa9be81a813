import {epochMs, type NodeSession, type WireJobAnswer} from './http.js'

/** An open `GET /api/jobs/events` stream: each job event with the epoch time it arrived. */
export interface JobStream {
  close(): void
  /** Resolves with the first event (already arrived or still to come) that `match` accepts. */
  next(match: (job: WireJobAnswer) => boolean, timeoutMs?: number): Promise<{arrivedMs: number; job: WireJobAnswer}>
}

/** A response body as fetch gives it. */
type EventBody = NonNullable<Awaited<ReturnType<typeof fetch>>['body']>

interface Arrival {
  arrivedMs: number
  job: WireJobAnswer
}

/**
 * Opens the node's event stream as an admin (every job of every node) and timestamps each
 * event as soon as its chunk is read, before it is parsed, so that parsing is not counted.
 */
export async function openJobStream(session: NodeSession): Promise<JobStream> {
  const abort = new AbortController()
  const response = await fetch(`${session.url}/api/jobs/events`, {
    headers: {authorization: `Bearer ${session.token}`, accept: 'text/event-stream'},
    signal: abort.signal,
  })
  if (!response.ok || !response.body) throw new Error(`event stream on ${session.url}: ${response.status}`)
  const arrivals: Arrival[] = []
  let wake: (() => void) | undefined
  const read = async (body: EventBody) => {
    const decoder = new TextDecoder()
    let partial = ''
    for await (const chunk of body) {
      const arrivedMs = epochMs()
      partial += decoder.decode(chunk, {stream: true})
      const blocks = partial.split('\n\n')
      partial = blocks.pop() ?? ''
      for (const block of blocks) {
        const data = block.split('\n').find((line) => line.startsWith('data: '))
        if (block.includes('event: job') && data) arrivals.push({arrivedMs, job: JSON.parse(data.slice(6))})
      }

      wake?.()
    }
  }

  // The read ends with an abort at close(): that is not an error.
  read(response.body).catch(() => {})
  return {
    close: () => abort.abort(),
    async next(match, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const at = arrivals.findIndex((arrival) => match(arrival.job))
        if (at !== -1) return arrivals.splice(at, 1)[0]
        const left = deadline - performance.now()
        if (left <= 0) throw new Error('timed out waiting for an event')
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left)
          wake = () => {
            clearTimeout(timer)
            resolve()
          }
        })
      }
    },
  }
}
