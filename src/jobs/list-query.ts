/**
 * From `jobs list` flag values (also usable by any command that selects jobs by filter) to a
 * ListQuery for the client. Everything here is checked before the first request, so a typo is a
 * usage error (exit 2), never a network call.
 */

import type {ListQuery} from '../client/jobs-client.js'

import {normalizeStatusName} from '../client/normalize.js'
import {UsageError} from '../errors.js'
import {parseTimeFlag} from '../support/time.js'
import {ACTIVE_STATUSES, KNOWN_STATUSES} from './job.js'

/** `active` is shorthand for every status of a job that has not ended. */
const STATUS_GROUPS: Readonly<Record<string, readonly string[]>> = {active: [...ACTIVE_STATUSES]}

/** Prefix that passes a status through unchecked, for statuses newer than this CLI (the server's set is open). */
export const RAW_STATUS_PREFIX = '='

export const STATUS_HELP = `One of ${KNOWN_STATUSES.join(', ')}; pending (= queued), active (= queued, running, resolving_prerequisites). Repeat the flag or separate with commas. A name the CLI does not know is refused; write it as =NAME to send it to the server unchecked.`

/** Repeated and comma-separated values, trimmed, empties dropped, duplicates removed (first kept). */
export function splitList(values: readonly string[] | undefined): string[] {
  const items = (values ?? []).flatMap((value) => value.split(',')).map((item) => item.trim())
  return [...new Set(items.filter((item) => item !== ''))]
}

/** `Running`, `completed-partial`, `pending`: the status names as the client compares them. */
function canonicalStatus(name: string): string {
  return normalizeStatusName(name.replaceAll('-', '_'))
}

/** `--status` values to the statuses to ask for; undefined when none were given. UsageError for an unknown name. */
export function parseStatuses(values: readonly string[] | undefined): string[] | undefined {
  const names = splitList(values)
  if (names.length === 0) return undefined
  const statuses = names.flatMap((name) => {
    if (name.startsWith(RAW_STATUS_PREFIX) && name.length > RAW_STATUS_PREFIX.length)
      return [name.slice(RAW_STATUS_PREFIX.length)]
    const status = canonicalStatus(name)
    const group = STATUS_GROUPS[status]
    if (group) return group
    if ((KNOWN_STATUSES as readonly string[]).includes(status)) return [status]
    throw new UsageError(`Unknown status "${name}". Valid: ${[...KNOWN_STATUSES, 'pending', 'active'].join(', ')}.`, {
      hint: `For a status this CLI does not know yet, write --status ${RAW_STATUS_PREFIX}${name}.`,
    })
  })
  return [...new Set(statuses)]
}

export interface ListFlagValues {
  repository?: string
  since?: string
  /** Each --status value given, with the statuses it stands for (parseStatuses, by the status flag). */
  status?: readonly {readonly value: readonly string[]}[]
  type?: string[]
  until?: string
  user?: string
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed || undefined
}

/** The ListQuery the flags describe. UsageError for a bad time, or --since after --until. */
export function buildListQuery(flags: ListFlagValues, now: Date = new Date()): ListQuery {
  const query: ListQuery = {}
  const statuses = new Set(flags.status?.flatMap(({value}) => value))
  if (statuses.size > 0) query.statuses = [...statuses]
  const types = splitList(flags.type)
  if (types.length > 0) query.types = types
  const repository = nonEmpty(flags.repository)
  if (repository) query.repository = repository
  const user = nonEmpty(flags.user)
  if (user) query.user = user
  if (flags.since !== undefined) query.since = parseTimeFlag(flags.since, 'since', now)
  if (flags.until !== undefined) query.until = parseTimeFlag(flags.until, 'until', now)
  if (query.since && query.until && query.since > query.until) {
    throw new UsageError(
      `--since (${query.since.toISOString()}) is after --until (${query.until.toISOString()}): nothing can match.`,
    )
  }

  return query
}
