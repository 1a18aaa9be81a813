/**
 * What each key does in `jobs top`: it changes the view state (selection, pane, prompt, filter,
 * sort) and says what the view must do beyond that (quit, refresh, cancel a job). No I/O.
 */
import type {Job} from '../jobs/job.js'
import type {TopViewState} from './top-view.js'

import {CliError} from '../errors.js'
import {isTerminal} from '../jobs/job.js'
import {shortJobId} from '../ui/job-format.js'
import {safeText} from '../ui/safe-text.js'
import {describeFilter, NO_FILTER, parseFilter} from './top-filter.js'

/** A key as node:readline's keypress events describe it. */
export interface Key {
  ctrl?: boolean
  meta?: boolean
  name?: string
  sequence?: string
}

export type TopEffect = {job: Job; type: 'cancel'} | {type: 'interrupt'} | {type: 'quit'} | {type: 'refresh'}

/** A key typed into the filter prompt: one printable character. */
function typed(key: Key): string | undefined {
  const text = key.sequence
  if (key.ctrl || key.meta || text === undefined || [...text].length !== 1) return undefined
  return text >= ' ' && text !== '\u007F' ? text : undefined
}

function filterKey(state: TopViewState, text: string, key: Key): void {
  switch (key.name) {
    case 'backspace': {
      state.prompt = {kind: 'filter', text: [...text].slice(0, -1).join('')}

      break
    }

    case 'escape': {
      state.model.setFilter(NO_FILTER)
      state.prompt = undefined
      state.message = 'Filter cleared.'

      break
    }

    case 'return': {
      try {
        state.model.setFilter(parseFilter(text))
        state.prompt = undefined
        const applied = describeFilter(state.model.filter)
        state.message = applied ? `Filter: ${safeText(applied)} (${state.model.rows().length} jobs)` : 'Filter cleared.'
      } catch (error) {
        if (!(error instanceof CliError)) throw error
        state.message = safeText(error.message)
      }

      break
    }

    default: {
      const char = typed(key)
      if (char !== undefined) state.prompt = {kind: 'filter', text: text + char}
    }
  }
}

function confirmKey(state: TopViewState, job: Job, key: Key): TopEffect | undefined {
  state.prompt = undefined
  if (key.name !== 'y') {
    state.message = 'Nothing cancelled.'
    return undefined
  }

  state.message = `Cancelling job ${safeText(shortJobId(job.job_id))}…`
  return {type: 'cancel', job}
}

function askToCancel(state: TopViewState): void {
  const job = state.model.selectedJob
  if (!job) {
    state.message = 'No job selected.'
  } else if (isTerminal(job.status)) {
    state.message = `Job ${safeText(shortJobId(job.job_id))} has already ended (${safeText(job.status)}).`
  } else {
    state.prompt = {kind: 'confirm', job}
  }
}

/** The keys of the list, the detail pane and the help. */
function viewKey(state: TopViewState, key: Key, pageRows: number): TopEffect | undefined {
  const {model} = state
  switch (key.name) {
    case 'a': {
      model.toggleAll()
      break
    }

    case 'c': {
      askToCancel(state)
      break
    }

    case 'down':
    case 'j': {
      model.move(1)
      break
    }

    case 'escape': {
      state.pane = 'list'
      break
    }

    case 'k':
    case 'up': {
      model.move(-1)
      break
    }

    case 'pagedown': {
      model.move(pageRows)
      break
    }

    case 'pageup': {
      model.move(-pageRows)
      break
    }

    case 'q': {
      return {type: 'quit'}
    }

    case 'r': {
      state.message = 'Refreshing…'
      return {type: 'refresh'}
    }

    case 'return': {
      if (model.selectedJob) state.pane = 'detail'
      break
    }

    case 's': {
      model.cycleSort()
      break
    }

    default: {
      if (key.sequence === '/') {
        state.pane = 'list'
        state.prompt = {kind: 'filter', text: describeFilter(model.filter)}
      } else if (key.sequence === '?') {
        state.pane = state.pane === 'help' ? 'list' : 'help'
      }
    }
  }

  return undefined
}

/** Applies one key; `pageRows` is how many rows PgUp/PgDn move. */
export function handleKey(state: TopViewState, key: Key, pageRows: number): TopEffect | undefined {
  if (key.ctrl && key.name === 'c') return {type: 'interrupt'}
  const {prompt} = state
  if (prompt?.kind === 'filter') {
    filterKey(state, prompt.text, key)
    return undefined
  }

  if (prompt?.kind === 'confirm') return confirmKey(state, prompt.job, key)
  return viewKey(state, key, pageRows)
}
