// Ends the run with the plain 'N passed, N failed' line that CI logs are read by.
module.exports = class SummaryReporter {
  onRunComplete(_contexts, results) {
    process.stdout.write(`${results.numPassedTests} passed, ${results.numFailedTests} failed\n`);
  }
};
