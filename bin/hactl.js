#!/usr/bin/env node
'use strict';
// hactl entry point: runs the compiled CLI from dist/ (built by `npm start`, `npm test` or `npm run build`).
const path = require('node:path');
const fs = require('node:fs');

const main = path.join(__dirname, '..', 'dist', 'src', 'platform', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  console.error(
    'hactl is not built yet: run `npm run build` (or `npm start`) in ' + path.join(__dirname, '..'),
  );
  process.exit(1);
}
// Compiled code kept between runs: a quicker start (see compile-cache.ts).
try {
  require(path.join(__dirname, '..', 'dist', 'src', 'platform', 'cli', 'compile-cache.js')).installCompileCache();
} catch {
  /* run without it */
}
require(main)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
    // Do not cut off piped output; but never hang on a stray handle either.
    setTimeout(() => process.exit(code), 3000).unref();
  });
