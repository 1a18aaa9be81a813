/**
 * How `jobs watch` (and `jobs status --wait` on a terminal) show the watch engine's events:
 * - tty: a line per active job redrawn in place, each job that ends printed above them for good,
 *   then the summary (tty-renderer.ts).
 * - plain: one line per change with an ISO timestamp, no ANSI codes, then the summary (CI logs,
 *   pipes; plain-renderer.ts).
 * - json: one normalized job per line per change (NDJSON; json-renderer.ts); notices go to stderr.
 * The server's texts are escaped on the way in (displayJob, safeText); the JSON keeps them as data (safeJson).
 */

import type {ProgressEvery} from '../flags.js'
import type {WatchEvent} from './job-watcher.js'

import {JsonRenderer} from './json-renderer.js'
import {PlainRenderer} from './plain-renderer.js'
import {TtyRenderer} from './tty-renderer.js'

export type RenderMode = 'json' | 'plain' | 'tty'

export interface WatchRenderer {
  /**
   * After the last event, or when watching stopped early (`stopped`: Ctrl-C, timeout, lost
   * server): finishes the output and leaves the terminal as it was.
   */
  close(stopped?: Error): Promise<void>
  handle(event: WatchEvent): void
}

export interface Sink {
  write(text: string): unknown
}

export interface RendererOptions {
  /** Colour codes allowed (tty only). */
  color?: boolean
  /** Where notices go that must not mix with NDJSON (stderr). */
  err: Sink
  /** Terminal rows (tty only): the live lines never take more. */
  height?: number
  /** Where job output goes (stdout). */
  out: Sink
  /** How often progress alone earns a line (plain only; by default every change does). */
  progressEvery?: ProgressEvery
  /** Print the `Done: ...` summary when watching ends (default true; `status --wait` shows the job instead). */
  summary?: boolean
  /** Visible columns (tty only). */
  width?: number
}

/** The renderer a command should use: json when asked, the live lines on an animating terminal, plain lines otherwise. */
export function chooseRenderMode(options: {animate: boolean; json: boolean}): RenderMode {
  if (options.json) return 'json'
  return options.animate ? 'tty' : 'plain'
}

export async function createRenderer(mode: RenderMode, options: RendererOptions): Promise<WatchRenderer> {
  if (mode === 'json') return new JsonRenderer(options)
  if (mode === 'plain') return new PlainRenderer(options)
  return new TtyRenderer(options)
}
