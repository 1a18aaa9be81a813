import type {ClusterNode, JobQueueHealth, ServerHealth, StuckJob} from './server-health.js'

import {formatDuration, formatRelative, formatTimestamp} from '../support/time.js'
import {safeText} from '../ui/safe-text.js'
import {type ColorName, painter} from '../ui/terminal.js'
import {pad, visibleWidth} from '../ui/text-width.js'

export interface HealthRenderOptions {
  /** Symbols allowed (a colour terminal). */
  bars: boolean
  color: boolean
}

const STATUS_LOOK: Readonly<Record<string, {color: ColorName; symbol: string}>> = {
  healthy: {color: 'green', symbol: '✔'},
  degraded: {color: 'yellow', symbol: '▲'},
}
const UNHEALTHY_LOOK = {color: 'red', symbol: '✖'} as const

const LABEL_WIDTH = 14

function row(label: string, value: string, indent = ''): string {
  return `${indent}${`${label}:`.padEnd(LABEL_WIDTH - indent.length)} ${value}`
}

function seconds(value: number): string {
  return formatDuration(value * 1000)
}

/** `✔ healthy` in green, `▲ degraded` in yellow, anything else in red; the server's word escaped. */
export function formatHealthStatus(status: string, options: HealthRenderOptions): string {
  const look = Object.hasOwn(STATUS_LOOK, status) ? STATUS_LOOK[status] : UNHEALTHY_LOOK
  const text = safeText(status)
  return painter(options.color)(look.color, options.bars ? `${look.symbol} ${text}` : text)
}

function stuckJobLine(job: StuckJob): string {
  const type = job.operation_type === null ? '' : `  ${safeText(job.operation_type)}`
  const silent = job.seconds_since_progress === null ? '' : `  no progress for ${seconds(job.seconds_since_progress)}`
  return `    ${safeText(job.job_id)}${type}${silent}`
}

/** The stuck jobs: how many, then each one the server names, and the command that shows one. */
function stuckLines(queue: JobQueueHealth): string[] {
  if (queue.stuck === null) return []
  const named = queue.stuck_jobs ?? []
  if (queue.stuck === 0) return [row('stuck', '0', '  ')]
  const next = named.length > 0 ? ` (see: cidx jobs status ${safeText(named[0].job_id)})` : ''
  return [row('stuck', `${queue.stuck}${next}`, '  '), ...named.map((job) => stuckJobLine(job))]
}

function pendingLine(queue: JobQueueHealth): string[] {
  if (queue.pending === null) return []
  const oldest =
    queue.pending > 0 && queue.oldest_pending_age_s !== null
      ? `, the oldest waiting ${seconds(queue.oldest_pending_age_s)}`
      : ''
  const next = queue.pending > 0 ? ' (see: cidx jobs list --status queued)' : ''
  return [row('pending', `${queue.pending}${oldest}${next}`, '  ')]
}

/** Running jobs, and the workers they fill: pending jobs wait (the backlog) while every worker is busy. */
function runningLine(queue: JobQueueHealth): string[] {
  if (queue.running === null) return []
  const workers =
    queue.workers === null ? '' : ` of ${queue.workers} worker(s)${queue.running >= queue.workers ? ', all busy' : ''}`
  return [row('running', `${queue.running}${workers}`, '  ')]
}

function failedLines(queue: JobQueueHealth): string[] {
  const lines: string[] = []
  if (queue.failed !== null) {
    const next = queue.failed > 0 ? ' (see: cidx jobs list --status failed)' : ''
    lines.push(row('failed', `${queue.failed}${next}`, '  '))
  }

  if (queue.failed_last_hour !== null) lines.push(row('failed (1h)', String(queue.failed_last_hour), '  '))
  return lines
}

/** `2026-11-28 10:14:02 +01:00 (3s ago)`, as `jobs status` shows times; `-` when the server sent none. */
function heartbeatText(value: null | string, now: Date): string {
  return value === null ? '-' : `${formatTimestamp(value)} (${formatRelative(value, now)})`
}

/** A stale node in the degraded look (`▲ stale` in yellow), so the node to look at stands out as the status does. */
function staleMark(node: ClusterNode, options: HealthRenderOptions): string {
  if (!node.stale) return ''
  const {color, symbol} = STATUS_LOOK.degraded
  return `${painter(options.color)(color, options.bars ? `${symbol} stale` : 'stale')}, `
}

/** One line per cluster node, names padded to the widest (escaped first, so widths are what the terminal shows). */
function nodeLines(health: ServerHealth, options: HealthRenderOptions, now: Date): string[] {
  if (health.nodes === null) return []
  const names = health.nodes.map((node) => safeText(node.name))
  const width = Math.max(0, ...names.map((name) => visibleWidth(name)))
  const lines = health.nodes.map((node, index) => {
    const running = node.running === null ? '' : `running ${node.running}, `
    const answered = node.name === health.node ? ' (answered)' : ''
    const heartbeat = `last heartbeat ${heartbeatText(node.last_heartbeat, now)}`
    return `  ${pad(names[index], width)}  ${staleMark(node, options)}${running}${heartbeat}${answered}`
  })
  const stale = health.nodes.filter((node) => node.stale).length
  return [row('nodes', `${health.nodes.length}${stale > 0 ? `, ${stale} stale` : ''}`), ...lines]
}

/** `cidx jobs health` for people: the server's state, its job queue with what to look at next, a cluster's nodes. */
export function formatHealth(health: ServerHealth, options: HealthRenderOptions, now: Date = new Date()): string[] {
  const lines = [row('status', formatHealthStatus(health.status, options))]
  if (health.message !== null) lines.push(row('message', safeText(health.message)))
  for (const reason of health.reasons) lines.push(row('reason', safeText(reason)))
  if (health.version !== null) lines.push(row('version', safeText(health.version)))
  if (health.uptime_s !== null) lines.push(row('uptime', seconds(health.uptime_s)))
  const {job_queue: queue} = health
  const queueLines = [...runningLine(queue), ...pendingLine(queue), ...failedLines(queue), ...stuckLines(queue)]
  if (queueLines.length > 0) lines.push('jobs:', ...queueLines)
  lines.push(...nodeLines(health, options, now))
  return lines
}
