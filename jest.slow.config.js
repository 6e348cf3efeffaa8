/**
 * The slow suites (npm run test:slow), listed in test/support/slow-suites.js; `npm test` runs the
 * others. With LIFECYCLE_TESTS=all (npm run test:all), every suite but the guests' in one run.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');
const slow = require('./test/support/slow-suites');

const all = process.env.LIFECYCLE_TESTS === 'all';

module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/', '/test/guest/'],
  ...(all ? {} : { testRegex: slow, testMatch: undefined }),
};
