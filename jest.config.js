/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real guests need root and systemd-nspawn: npm run test:guest (jest.guest.config.js).
  testPathIgnorePatterns: ['/node_modules/', '/test/guest/'],
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
