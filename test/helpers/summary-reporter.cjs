const Mocha = require('mocha')
// The spec reporter, plus one closing line in the plain form CI reads:
// "N passed, N failed". It is also written to .test-summary so that .ci/run
// can repeat it as its very last line after c8's coverage table. With
// TEST_SUMMARY_ADD=1 (the second pass of npm test, the CLI's tests against a
// cluster node) the line is this run's, then the totals of both runs.
const fs = require('node:fs')

const {Spec} = Mocha.reporters
const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const {passes = 0, failures = 0, pending = 0} = this.stats
      const {format, add, earlierTotals} = SummaryReporter
      let totals = {passes, failures, pending}
      if (process.env.TEST_SUMMARY_ADD === '1') {
        console.log(`this pass: ${format(totals)}`)
        totals = add(totals, earlierTotals())
      }

      const line = format(totals)
      console.log(line)
      try {
        fs.writeFileSync('.test-summary', line + '\n')
      } catch {}
    })
  }

  static add(a, b) {
    return {passes: a.passes + b.passes, failures: a.failures + b.failures, pending: a.pending + b.pending}
  }

  /** The counts an earlier pass wrote to .test-summary (none when it wrote nothing). */
  static earlierTotals() {
    try {
      const match = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(fs.readFileSync('.test-summary', 'utf8'))
      if (match) return {passes: Number(match[1]), failures: Number(match[2]), pending: Number(match[3] ?? 0)}
    } catch {}

    return {passes: 0, failures: 0, pending: 0}
  }

  static format(counts) {
    return `${counts.passes} passed, ${counts.failures} failed${counts.pending ? `, ${counts.pending} skipped` : ''}`
  }
}

module.exports = SummaryReporter
