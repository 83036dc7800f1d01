// Tests run from the compiled output (the bootstrap compiles first), against a real Temporal
// dev server that global-setup starts once per run on free ports.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
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
