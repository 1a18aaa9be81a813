import {isRecord} from '../support/json.js'

/**
 * The nodes of a cluster as the local server lists them in `GET /health` (extension, cluster
 * mode only): `{name, url, last_heartbeat, running, stale}` each. A real CIDX server and a
 * single local server send no `nodes`, and then there is none here, never an invented one.
 */
export interface ClusterNode {
  /** ISO 8601 UTC, or null when the server sent no readable time. */
  last_heartbeat: null | string
  name: string
  /** How many jobs the node runs, or null when the server did not say. */
  running: null | number
  /** The node stopped sending heartbeats: its running jobs will be failed by the others. */
  stale: boolean
  url: null | string
}

type Raw = Record<string, unknown>

function nonEmptyText(value: unknown): null | string {
  return typeof value === 'string' && value.trim() !== '' ? value : null
}

/** A time with a date, a clock and a zone (as the server writes them), else null: a heartbeat of unknown age says nothing. */
function isoTime(value: unknown): null | string {
  const text = nonEmptyText(value)?.trim()
  if (!text || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i.test(text)) return null
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

function count(value: unknown): null | number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null
}

function nodeOf(entry: Raw): ClusterNode {
  return {
    name: entry.name as string,
    url: nonEmptyText(entry.url),
    last_heartbeat: isoTime(entry.last_heartbeat),
    running: count(entry.running),
    // Only a plain `true` marks a node stale: anything else is no claim that it is.
    stale: entry.stale === true,
  }
}

/** The `nodes` of a health answer; entries without a name are dropped, a missing or non-list `nodes` is null. */
export function normalizeNodes(value: unknown): ClusterNode[] | null {
  if (!Array.isArray(value)) return null
  return value
    .filter((entry): entry is Raw => isRecord(entry) && nonEmptyText(entry.name) !== null)
    .map((entry) => nodeOf(entry))
}

/** The name of the node that answered (`node`), else null. */
export function answeringNode(value: unknown): null | string {
  return nonEmptyText(value)
}
