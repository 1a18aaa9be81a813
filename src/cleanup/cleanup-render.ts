import type {CleanupPlan} from './cleanup-plan.js'

import {safeText} from '../ui/safe-text.js'

/** "12 finished jobs" or, from a real server's listing, "at least 12 finished jobs". */
export function describeCount(plan: CleanupPlan): string {
  const jobs = `${plan.count} finished job${plan.count === 1 ? '' : 's'}`
  return plan.exact ? jobs : `at least ${jobs}`
}

/** The lines of `--dry-run` for people: how many would go, by status, and the time span. */
export function formatPlan(plan: CleanupPlan): string[] {
  const lines = [`Would delete ${describeCount(plan)} older than ${plan.max_age_hours} h (dry run: nothing deleted).`]
  const statuses = Object.entries(plan.by_status).map(([status, count]) => `${safeText(status)} ${count}`)
  if (statuses.length > 0) lines.push(`  by status: ${statuses.join(', ')}`)
  if (plan.oldest !== null && plan.newest !== null) lines.push(`  ended between ${plan.oldest} and ${plan.newest}`)
  if (!plan.exact) {
    lines.push('  a lower bound: this server has no dry run and lists only its newest jobs of each status.')
  }

  return lines
}
