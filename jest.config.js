// Tests run from the compiled output (the bootstrap compiles first), against a real Temporal
// dev server that global-setup starts once per run on free ports.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // The compiled JavaScript runs as it is (no Babel pass): what it runs is what is on disk, so
  // V8's coverage of it maps through tsc's source maps (scripts/coverage.mjs).
  transform: {},
  testMatch: ['<rootDir>/dist/test/**/*.test.js'],
  // The cluster suite runs on its own (npm run test:cluster, jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/dist/test/cluster/'],
  globalSetup: '<rootDir>/dist/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/dist/test/setup/global-teardown.js',
  testTimeout: 120000,
  maxWorkers: 2,
  // Integration files each get their own namespace, so they can run side by side.
  verbose: true,
};
