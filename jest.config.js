/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real guests need root and systemd-nspawn: npm run test:guest (jest.guest.config.js). The
  // slowest suites run in npm run test:slow (jest.slow.config.js); CI runs every set.
  testPathIgnorePatterns: ['/node_modules/', '/test/guest/', ...require('./test/support/slow-suites')],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.sh$': '<rootDir>/test/support/text-transform.js',
  },
  moduleFileExtensions: ['ts', 'js', 'json', 'sh'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/env.js'],
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
