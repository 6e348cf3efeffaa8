/**
 * The suites `npm test` leaves to `npm run test:slow` (jest.slow.config.js), each a minute or more
 * of real processes on two cores: the whole fault matrix, the Step Functions API and both engines
 * side by side, the CLI end to end as a shell runs it, leases over the emulator's clock, the real
 * cdk CLI, the emulator's processes and signals, the moto fixes in fresh Pythons, moto's quick
 * start beside moto itself, the soak, the benchmark's simulation (a fleet in virtual time). CI
 * (.ci/run) runs both sets; `npm run test:all` runs them together.
 */
module.exports = [
  'api',
  'bench',
  'cdk-cli',
  'cdk-deploy',
  'cli.e2e',
  'emulator-process',
  'faults-create',
  'faults-create-late',
  'faults-destroy',
  'idempotency',
  'leases',
  'leases-cli',
  'moto-fixes',
  'moto-start',
  'parity',
  'soak',
].map((name) => `/test/${name.replace('.', '\\.')}\\.test\\.ts$`);
