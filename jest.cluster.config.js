// `npm run test:cluster`: the cluster suite, against a real Temporal cluster on PostgreSQL that
// each file starts itself (two server nodes behind HAProxy), so that it can kill a node. One file
// at a time: a cluster per file is the whole machine's work.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/dist/test/cluster/**/*.test.js'],
  testTimeout: 300000,
  maxWorkers: 1,
  verbose: true,
};
