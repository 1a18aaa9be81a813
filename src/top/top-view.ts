/**
 * One frame of `jobs top` as lines, without any I/O: the header (server, user, push or polling,
 * last update, counts, queue health), the job table fitted to the terminal (or the detail pane,
 * or the help), the line for prompts and notices, and the footer of keys. Exactly `rows` lines,
 * none wider than `columns`: the screen compares frames line by line.
 */
import type {ServerHealth} from '../health/server-health.js'
import type {Job} from '../jobs/job.js'
import type {TopModel} from './top-model.js'

import {formatHealthStatus} from '../health/health-render.js'
import {formatTimestamp} from '../support/time.js'
import {formatJobDetails} from '../ui/job-details.js'
import {type RenderOptions, shortJobId} from '../ui/job-format.js'
import {renderJobTable} from '../ui/job-table.js'
import {safeText} from '../ui/safe-text.js'
import {painter} from '../ui/terminal.js'
import {truncate} from '../ui/text-width.js'
import {describeFilter} from './top-filter.js'

export type TopPane = 'detail' | 'help' | 'list'

export type TopPrompt = {job: Job; kind: 'confirm'} | {kind: 'filter'; text: string}

/** What the feed knows about the server and the connection. */
export interface TopStatus {
  /** A notice about the connection (reconnecting, a listing that failed), or null while all is well. */
  connection: null | string
  /** The last queue health, or why it could not be read. */
  health: null | ServerHealth | string
  mode: 'connecting' | 'poll' | 'push'
  server: string
  /** When the last change or listing arrived. */
  updatedAt: Date | null
  user: string
}

export interface TopViewState {
  /** The last notice of the view (a cancel's outcome, a filter refused). */
  message: string
  model: TopModel
  pane: TopPane
  prompt: TopPrompt | undefined
  /** Show the USER column (an admin, or other people's jobs in view). */
  showUser: boolean
  status: TopStatus
}

export interface ScreenSize {
  columns: number
  rows: number
}

/** Lines above the table and below it. */
const HEADER_LINES = 3
const FOOTER_LINES = 2
const COUNTED: readonly string[] = ['running', 'queued', 'resolving_prerequisites', 'failed', 'completed', 'cancelled']
const COUNT_LABELS: Readonly<Record<string, string>> = {resolving_prerequisites: 'resolving'}

/** The keys, in full when the terminal is wide enough, else the short form (80 columns). */
export const FOOTER_KEYS =
  '↑↓/jk move  PgUp/PgDn  Enter details  c cancel  / filter  s sort  a all  r refresh  ? help  q quit'
export const SHORT_FOOTER_KEYS = '↑↓ Enter details  c cancel  / filter  s sort  a all  r refresh  ? help  q quit'

export const HELP_LINES = [
  'Keys',
  '  ↑ ↓  j k      move the selection',
  '  PgUp PgDn     a page up or down',
  '  Enter         details of the selected job (Esc back)',
  '  c             cancel the selected job (asks y/N, then waits until it has stopped)',
  '  /             filter: type:T repo:R user:U status:S id:PREFIX (or a bare ID prefix);',
  '                Enter applies it, Esc clears it',
  '  s             sort by the next key (created, progress, status, type, duration, repository, user)',
  '  a             active jobs only, or all recent ones',
  '  r             refresh now',
  '  q             quit (Ctrl-C too)',
  '',
  'Esc or ? closes this help.',
]

const MODE_TEXT = {connecting: 'connecting', poll: 'polling', push: 'push'} as const

/** Who and where, how changes arrive, and when the last one did (or what is wrong with the connection). */
function titleLine(status: TopStatus, paint: ReturnType<typeof painter>): string {
  // The local time of day alone (HH:MM:SS): the zone is the operator's own, and the title is short.
  const updated = status.updatedAt ? `updated ${formatTimestamp(status.updatedAt).slice(11, 19)}` : 'waiting'
  const last = status.connection === null ? updated : paint('yellow', safeText(status.connection))
  return [
    paint('bold', 'cidx jobs top'),
    safeText(status.server),
    safeText(status.user),
    MODE_TEXT[status.mode],
    last,
  ].join('  ')
}

/** Jobs per status among those known: `running 3  queued 5  failed 1 ...` (resolving only when there are some). */
function countsLine(state: TopViewState): string {
  const {byStatus} = state.model.counts()
  return COUNTED.filter((name) => name !== 'resolving_prerequisites' || byStatus.has(name))
    .map((name) => `${COUNT_LABELS[name] ?? name} ${byStatus.get(name) ?? 0}`)
    .join('  ')
}

/** What the table shows (active or all, how many, the sort and the filter), then the queue health. */
function viewLine(state: TopViewState, render: RenderOptions): string {
  const {model} = state
  const filter = describeFilter(model.filter)
  const {key, descending} = model.sort
  return [
    `${model.showAll ? 'all' : 'active'} ${model.counts().shown}`,
    `sort ${descending ? '-' : ''}${key}`,
    ...(filter ? [`filter ${safeText(filter)}`] : []),
    healthText(state.status.health, render),
  ].join('   ')
}

function healthText(health: TopStatus['health'], render: RenderOptions): string {
  if (health === null) return 'health …'
  if (typeof health === 'string') return `health unknown (${safeText(health)})`
  const queue = health.job_queue
  const stuck = queue.stuck === null ? '' : `  stuck ${queue.stuck}`
  const reasons = health.reasons.length > 0 ? `  ${health.reasons.map((reason) => safeText(reason)).join('; ')}` : ''
  return `health ${formatHealthStatus(health.status, render)}${stuck}${reasons}`
}

/** The table's lines: a marker (and reverse video on a colour terminal) on the selected row. */
function tableLines(
  state: TopViewState,
  size: ScreenSize & {height: number},
  render: RenderOptions,
  now: Date,
): string[] {
  const {rows, selected} = state.model.window(size.height - 1)
  if (rows.length === 0) {
    const what = state.model.showAll ? 'No jobs' : 'No active jobs'
    return [
      `${what}${describeFilter(state.model.filter) ? ' match the filter' : ''}.  a shows ${state.model.showAll ? 'active' : 'all recent'} jobs.`,
    ]
  }

  const terminal = {...render, tty: true, animate: true, width: size.columns - 2}
  const [header, ...lines] = renderJobTable(rows, {terminal, showUser: state.showUser, now})
  const marked = lines.map((line, index) => {
    if (index !== selected) return `  ${line}`
    return render.color ? `\u001B[7m> ${line}\u001B[27m` : `> ${line}`
  })
  return [`  ${header}`, ...marked]
}

function detailLines(state: TopViewState, render: RenderOptions, now: Date): string[] {
  const job = state.model.selectedJob
  if (!job) return ['The job is no longer in view.  Esc back']
  return [
    painter(render.color)('bold', `Job ${safeText(shortJobId(job.job_id))}   Esc back  c cancel`),
    '',
    ...formatJobDetails(job, render, now),
  ]
}

/** The line above the footer: the prompt being answered, else the latest notice. */
function promptLine(state: TopViewState): string {
  const {prompt} = state
  if (prompt?.kind === 'filter') return `/${prompt.text}█   Enter apply  Esc clear`
  if (prompt?.kind === 'confirm') {
    const {job} = prompt
    const where = job.repository === null ? '' : `, ${safeText(job.repository)}`
    return `Cancel job ${safeText(shortJobId(job.job_id))} (${safeText(job.job_type)}${where}, ${safeText(job.status)})? y/N`
  }

  return safeText(state.message)
}

/** The whole frame: `size.rows` lines, each cut to `size.columns`. */
export function renderTop(
  state: TopViewState,
  size: ScreenSize,
  render: RenderOptions,
  now: Date = new Date(),
): string[] {
  const paint = painter(render.color)
  const bodyHeight = Math.max(1, size.rows - HEADER_LINES - FOOTER_LINES)
  const body =
    state.pane === 'detail'
      ? detailLines(state, render, now)
      : state.pane === 'help'
        ? HELP_LINES
        : tableLines(state, {...size, height: bodyHeight}, render, now)
  const lines = [
    titleLine(state.status, paint),
    countsLine(state),
    viewLine(state, render),
    ...body.slice(0, bodyHeight),
    ...Array.from({length: Math.max(0, bodyHeight - body.length)}, () => ''),
    promptLine(state),
    paint('dim', size.columns >= FOOTER_KEYS.length ? FOOTER_KEYS : SHORT_FOOTER_KEYS),
  ]
  return lines.slice(0, size.rows).map((line) => truncate(line, size.columns))
}
