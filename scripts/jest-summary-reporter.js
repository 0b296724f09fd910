// Prints one plain closing line, `jest: N passed, N failed, N skipped`, so
// that CI logs state plainly how many tests ran. A suite that failed outside
// its tests (a syntax error, a throw at import, a failing afterAll, no test
// at all) has no failed test to count, so each such suite counts as one
// failure: the line never says 0 failed when jest failed the run.
const { writeSync } = require('node:fs')

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results
    const brokenSuites = results.testResults.filter(
      (suite) => suite.testExecError !== undefined || (Boolean(suite.failureMessage) && suite.numFailingTests === 0),
    )
    for (const suite of brokenSuites) process.stdout.write(`jest: suite failed outside its tests: ${suite.testFilePath}\n`)
    const first = this.line === undefined
    this.line = `jest: ${numPassedTests} passed, ${numFailedTests + brokenSuites.length} failed, ${numPendingTests + numTodoTests} skipped\n`
    // Jest prints its own summary after every custom reporter; writing at exit
    // keeps this line the last one of the run's output.
    if (first) process.once('exit', () => writeSync(process.stdout.fd, this.line))
  }
}
module.exports = SummaryReporter
