/**
 * The guest suite (npm run test:guest): real Debian guests booted with systemd-nspawn. Run through
 * scripts/test-guest.ts, which checks the machine can and builds the cached image first.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/guest'],
  testMatch: ['**/*.guest.test.ts'],
  testPathIgnorePatterns: [],
  testTimeout: 180000,
};
