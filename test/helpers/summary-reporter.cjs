const Mocha = require('mocha')
// The spec reporter, plus one closing line in the plain form CI reads:
// "N passed, N failed". It is also written to .test-summary so that .ci/run
// can repeat it as its very last line after c8's coverage table. With
// TEST_SUMMARY_ADD=1 (the second pass of npm test, the CLI's tests against a
// cluster node) the line is this run's, then the totals of both runs.
// The titles of failed tests, with the first line of their error, go to
// .test-failures (appended to by the second pass) so that .ci/run can print
// them next to the totals: the spec reporter's account of a failure sits
// above the long coverage table and is cut off in a CI log's tail.
// A run that is still alive LINGER_MS after its last test has left something open (a
// timer, a socket, a child): it fails then, naming what, instead of hanging CI.
const fs = require('node:fs')
const path = require('node:path')

const {Spec} = Mocha.reporters
const {EVENT_RUN_END, EVENT_TEST_FAIL} = Mocha.Runner.constants
const LINGER_MS = 20_000

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    const failed = []
    runner.on(EVENT_TEST_FAIL, (test, error) => failed.push(SummaryReporter.describeFailure(test, error)))
    runner.once(EVENT_RUN_END, () => {
      const {passes = 0, failures = 0, pending = 0} = this.stats
      const {format, add, earlierTotals} = SummaryReporter
      let totals = {passes, failures, pending}
      const adding = process.env.TEST_SUMMARY_ADD === '1'
      const pass = adding ? 'second pass' : 'first pass'
      if (adding) {
        console.log(`this pass: ${format(totals)}`)
        totals = add(totals, earlierTotals())
      }

      const line = format(totals)
      console.log(line)
      try {
        fs.writeFileSync('.test-summary', line + '\n')
        const text = failed.map((failure) => `failed (${pass}): ${failure}\n`).join('')
        if (adding) fs.appendFileSync('.test-failures', text)
        else fs.writeFileSync('.test-failures', text)
      } catch {}

      SummaryReporter.failIfLingering(totals, pass)
    })
  }

  static add(a, b) {
    return {passes: a.passes + b.passes, failures: a.failures + b.failures, pending: a.pending + b.pending}
  }

  /** One line: the test's full title and the first line of what it threw. */
  static describeFailure(test, error) {
    const message = String((error && error.message) || error)
      .split('\n')[0]
      .slice(0, 300)
    const file = test.file ? ` [${path.relative(process.cwd(), test.file)}]` : ''
    return `${test.fullTitle()}${file}: ${message}`
  }

  /** The counts an earlier pass wrote to .test-summary (none when it wrote nothing). */
  static earlierTotals() {
    try {
      const match = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/.exec(fs.readFileSync('.test-summary', 'utf8'))
      if (match) return {passes: Number(match[1]), failures: Number(match[2]), pending: Number(match[3] ?? 0)}
    } catch {}

    return {passes: 0, failures: 0, pending: 0}
  }

  /** Unref'd: it fires only if something else holds the process open, and then ends it. */
  static failIfLingering(totals, pass) {
    setTimeout(() => {
      // eslint-disable-next-line n/no-unsupported-features/node-builtins -- in Node 20 too (marked experimental there); a diagnostic only
      const open = process.getActiveResourcesInfo().join(', ') + SummaryReporter.liveTimers()
      const failure = `the test run (${pass}) was still running ${LINGER_MS / 1000} s after its last test, held open by: ${open}`
      console.error(failure)
      try {
        fs.writeFileSync('.test-summary', SummaryReporter.format({...totals, failures: totals.failures + 1}) + '\n')
        fs.appendFileSync('.test-failures', `failed (${pass}): ${failure}\n`)
      } catch {}

      // After mocha's own exit listener, which would set the code to the count of failed tests.
      process.once('exit', () => {
        process.exitCode = 1
      })
      // eslint-disable-next-line n/no-process-exit, unicorn/no-process-exit -- what holds the process open would outlive any throw
      process.exit(1)
    }, LINGER_MS).unref()
  }

  static format(counts) {
    return `${counts.passes} passed, ${counts.failures} failed${counts.pending ? `, ${counts.pending} skipped` : ''}`
  }

  /** What each live timer would run, for finding the one left behind: read through the inspector. */
  static liveTimers() {
    const inspector = require('node:inspector')
    const session = new inspector.Session()
    let described = ''
    try {
      session.connect()
      const probe = setTimeout(() => {}, 1)
      globalThis.__lingeringProbe = probe
      const post = (method, params) => {
        let answer
        session.post(method, params, (error, result) => {
          answer = error ? undefined : result
        })
        return answer
      }

      const prototype = post('Runtime.evaluate', {expression: 'Object.getPrototypeOf(globalThis.__lingeringProbe)'})
      const timers = post('Runtime.queryObjects', {prototypeObjectId: prototype.result.objectId})
      const list = post('Runtime.callFunctionOn', {
        objectId: timers.objects.objectId,
        functionDeclaration: `function () {
          return this.filter((t) => t !== globalThis.__lingeringProbe && !t._destroyed && t.hasRef())
            .map((t) => t._idleTimeout + ' ms: ' + String(t._onTimeout).replace(/\\s+/g, ' ').slice(0, 160))
        }`,
        returnByValue: true,
      })
      clearTimeout(probe)
      described = list.result.value.map((timer) => `\n  ${timer}`).join('')
    } catch {
    } finally {
      session.disconnect()
    }

    return described
  }
}

module.exports = SummaryReporter
