const Mocha = require('mocha')
// The spec reporter, plus one closing line in the plain form CI reads:
// "N passed, N failed". It is also written to .test-summary so that .ci/run
// can repeat it as its very last line after c8's coverage table.
const fs = require('node:fs')

const {Spec} = Mocha.reporters
const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const {passes = 0, failures = 0, pending = 0} = this.stats
      const line = `${passes} passed, ${failures} failed${pending ? `, ${pending} skipped` : ''}`
      console.log(line)
      try {
        fs.writeFileSync('.test-summary', line + '\n')
      } catch {}
    })
  }
}

module.exports = SummaryReporter
