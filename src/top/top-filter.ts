/**
 * The filter of `jobs top`: what the `/` prompt takes and the flags set at start. Terms are
 * `type:`, `repo:` (or `repository:`), `user:`, `status:` and `id:`, each comma-separated for
 * several values; a bare word is an ID prefix. Values match case-insensitively, statuses as
 * `jobs list --status` spells them (`pending` is `queued`, `active` the three active ones).
 */
import type {Job} from '../jobs/job.js'

import {UsageError} from '../errors.js'
import {parseStatuses} from '../jobs/list-query.js'

export interface TopFilter {
  idPrefixes: string[]
  repositories: string[]
  statuses: string[]
  types: string[]
  users: string[]
}

export const NO_FILTER: TopFilter = {idPrefixes: [], repositories: [], statuses: [], types: [], users: []}

const KEYS: Readonly<Record<string, keyof TopFilter>> = {
  type: 'types',
  repo: 'repositories',
  repository: 'repositories',
  user: 'users',
  status: 'statuses',
  id: 'idPrefixes',
}

const lower = (values: string[]) => values.map((value) => value.toLowerCase())

/** The prompt's text as a filter; UsageError (shown in the view) for an unknown key or status. */
export function parseFilter(text: string): TopFilter {
  const filter: TopFilter = {idPrefixes: [], repositories: [], statuses: [], types: [], users: []}
  for (const term of text.trim().split(/\s+/).filter(Boolean)) {
    const colon = term.indexOf(':')
    const key = colon === -1 ? 'id' : term.slice(0, colon).toLowerCase()
    const field = Object.hasOwn(KEYS, key) ? KEYS[key] : undefined
    if (!field) throw new UsageError(`Unknown filter "${key}": use type:, repo:, user:, status:, id: or an ID prefix.`)
    const values = term
      .slice(colon + 1)
      .split(',')
      .filter(Boolean)
    filter[field].push(...(field === 'statuses' ? (parseStatuses(values) ?? []) : lower(values)))
  }

  return filter
}

/** The filter written back as the prompt takes it (the header shows it); '' when it lets everything through. */
export function describeFilter(filter: TopFilter): string {
  const parts: string[] = []
  if (filter.types.length > 0) parts.push(`type:${filter.types.join(',')}`)
  if (filter.repositories.length > 0) parts.push(`repo:${filter.repositories.join(',')}`)
  if (filter.users.length > 0) parts.push(`user:${filter.users.join(',')}`)
  if (filter.statuses.length > 0) parts.push(`status:${filter.statuses.join(',')}`)
  if (filter.idPrefixes.length > 0) parts.push(`id:${filter.idPrefixes.join(',')}`)
  return parts.join(' ')
}

const oneOf = (wanted: string[], value: null | string) =>
  wanted.length === 0 || (value !== null && wanted.includes(value.toLowerCase()))

/** Whether the job passes every term given (any of a term's values). */
export function matchesFilter(job: Job, filter: TopFilter): boolean {
  const id = job.job_id.toLowerCase()
  return (
    oneOf(filter.types, job.job_type) &&
    oneOf(filter.repositories, job.repository) &&
    oneOf(filter.users, job.user_id) &&
    (filter.statuses.length === 0 || filter.statuses.includes(job.status)) &&
    (filter.idPrefixes.length === 0 || filter.idPrefixes.some((prefix) => id.startsWith(prefix)))
  )
}
