import {epochMs, type NodeSession, type Spread, spreadOf, wireTimeMs} from './http.js'
import {openJobStream} from './sse.js'

/** Submissions a little apart, so that the running jobs stay well under the admin's active-job limit. */
const GAP_MS = 60
const RETRY_AT_CAPACITY_MS = 500

export interface EventLatency {
  /** From the POST's answer at the client to the event's arrival; negative when the event came first. */
  from_answer: Spread
  /** From the job's `created_at` (stamped by the submitting node just before its insert) to the event's arrival. */
  from_insert: Spread
}

/**
 * A watcher on the first node's event stream; golden repository adds submitted on the second.
 * Each sample is the `pending` event of one submission arriving on the first node's stream:
 * the change travels as the second node's NOTIFY through PostgreSQL to the first node's
 * listening connection, then out over its SSE stream. Both nodes and the watcher share this
 * host's clock, so the insert's own timestamp can be compared with the arrival time.
 */
export async function measureEventLatency(
  watched: NodeSession,
  submitting: NodeSession,
  repo: string,
  samples: number,
): Promise<EventLatency> {
  const stream = await openJobStream(watched)
  const fromInsert: number[] = []
  const fromAnswer: number[] = []
  try {
    for (let run = 0; run < samples; run++) {
      const jobId = await submit(submitting, repo, `event-${run}`)
      const answeredMs = epochMs()
      const {arrivedMs, job} = await stream.next((event) => event.job_id === jobId && event.status === 'pending')
      fromInsert.push(arrivedMs - wireTimeMs(job.created_at))
      fromAnswer.push(arrivedMs - answeredMs)
      await new Promise((resolve) => {
        setTimeout(resolve, GAP_MS)
      })
    }
  } finally {
    stream.close()
  }

  return {from_insert: spreadOf(fromInsert), from_answer: spreadOf(fromAnswer)}
}

/** Submits, waiting out a 429 (too many of the admin's jobs still active). */
async function submit(session: NodeSession, repo: string, alias: string): Promise<string> {
  for (;;) {
    const answer = await session.call<{job_id: string}>('POST', '/api/admin/golden-repos', {repo_url: repo, alias})
    if (answer.status === 202) return answer.body.job_id
    if (answer.status !== 429) throw new Error(`submit answered ${answer.status}`)
    await new Promise((resolve) => {
      setTimeout(resolve, RETRY_AT_CAPACITY_MS)
    })
  }
}
