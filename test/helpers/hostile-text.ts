import {expect} from 'chai'

import type {Job} from '../../src/jobs/job.js'

/**
 * What a hostile server puts in its texts to take over a terminal, one of each kind, and the
 * checks that none of it reaches the output raw.
 */
export const ATTACKS = {
  title: '\u001B]0;pwned\u0007',
  clearScreen: '\u001B[2J',
  cursorUp: '\u001B[5A',
  hyperlink: '\u001B]8;;https://evil.example/\u001B\\click\u001B]8;;\u001B\\',
  dcs: '\u001BP+q544e\u001B\\',
  c1Csi: '\u009B31m',
  bidi: '\u202Eevil\u202C\u202A\u202B\u202D\u2066\u2067\u2068\u2069\u200E\u200F\u061C',
} as const

/** Every attack in one string. */
export const HOSTILE = Object.values(ATTACKS).join('')

/** A field's text: a readable label (to find it in the output), then every attack. */
export function hostile(label: string): string {
  return `${label}${HOSTILE}`
}

/**
 * The job with every text the server sends made hostile, each labelled by its field: id, type,
 * description, status, user, repo, error, phase (current step), detail. Numbers and times stay.
 */
export function withHostileTexts(job: Job): Job {
  return {
    ...job,
    job_id: hostile('id'),
    job_type: hostile('type'),
    description: hostile('description'),
    status: hostile('status'),
    user_id: hostile('user'),
    repository: hostile('repo'),
    error_message: hostile('error'),
    progress_detail: {...job.progress_detail, current_step: hostile('phase'), detailed_status: hostile('detail')},
  }
}

/**
 * Any control (C0 but the newline, DEL, C1) or bidi control, by Unicode property: independent of
 * the code under test's own list.
 */
export const RAW_CONTROL = /(?!\n)[\p{Cc}\p{Bidi_Control}]/u

/** Our own colour codes (SGR), which a coloured output legitimately carries. */
const OWN_COLOURS = /\u001B\[\d+m/g

/** Fails with the offending character and its surroundings when `text` carries a raw control. */
export function expectNoRawControls(text: string, what: string, options: {ownColours?: boolean} = {}): void {
  const checked = options.ownColours ? text.replaceAll(OWN_COLOURS, '') : text
  const found = RAW_CONTROL.exec(checked)
  const context = found ? JSON.stringify(checked.slice(Math.max(0, found.index - 30), found.index + 30)) : ''
  expect(found, `${what} carries U+${found?.[0].codePointAt(0)!.toString(16).padStart(4, '0')} raw: ${context}`).to.equal(null)
}

/** The visible escapes safeText writes for the attacks: their presence shows the text was kept, not dropped. */
export const ESCAPED_TITLE = '\\x1b]0;pwned\\x07'
