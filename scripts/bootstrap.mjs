#!/usr/bin/env node
// Dependency-free bootstrap behind `npm start`, `npm test` and `npm run bench`: on a fresh clone
// it installs npm packages, compiles the TypeScript, finds or builds the Temporal CLI, and then
// runs the requested job. Only Node's standard library is used here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [mode = 'start', ...rest] = process.argv.slice(2);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const say = (line) => console.error(`[bootstrap] ${line}`);

function fail(message) {
  console.error(`[bootstrap] ${message}`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 3))
    fail(`Node.js >= 20.3 is required, this is ${process.versions.node}`);
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r.status ?? 1;
}

function ensureDependencies() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  const stale =
    !existsSync(marker) ||
    mtime(lock) > mtime(marker) ||
    mtime(path.join(root, 'package.json')) > mtime(marker);
  if (!stale) return;
  const useCi = existsSync(lock);
  say(`installing npm packages (npm ${useCi ? 'ci' : 'install'}) ...`);
  const code = run(npm, [useCi ? 'ci' : 'install', '--no-audit', '--no-fund']);
  if (code !== 0) fail(`npm ${useCi ? 'ci' : 'install'} failed (exit ${code})`);
}

// Compiled files whose source was deleted would otherwise still run (stale tests, old workflows).
function pruneOrphans(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      pruneOrphans(p);
      continue;
    }
    const m = /^(.*)\.js(\.map)?$/.exec(entry.name);
    if (!m) continue;
    const rel = path.relative(path.join(root, 'dist'), path.join(dir, m[1]));
    if (!existsSync(path.join(root, `${rel}.ts`))) rmSync(p);
  }
}

function build() {
  pruneOrphans(path.join(root, 'dist'));
  say('compiling TypeScript ...');
  const code = run(process.execPath, [
    path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
    '-p',
    'tsconfig.json',
  ]);
  if (code !== 0) fail(`TypeScript compilation failed (exit ${code})`);
  // Workers load the workflow bundle from disk; it is rebuilt only when the code is newer.
  const bundled = run(process.execPath, [path.join(root, 'dist', 'src', 'platform', 'worker', 'bundle.js')]);
  if (bundled !== 0) fail(`bundling the workflows failed (exit ${bundled})`);
}

async function ensureTemporal() {
  const { ensureTemporalCli } = await import(
    path.join(root, 'dist', 'src', 'platform', 'temporal', 'cli-binary.js')
  );
  try {
    const r = await ensureTemporalCli((line) => say(line));
    say(`Temporal CLI: ${r.path} (from ${r.source})`);
    return r.path;
  } catch (err) {
    fail(err.message);
  }
}

/** Runs a child in the foreground; Ctrl-C reaches it through the terminal, we just wait. */
function foreground(cmd, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
    const forward = (sig) => () => {
      if (child.exitCode === null) child.kill(sig);
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, forward(sig));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}

async function runTests(config = 'jest.config.js', resultsName = 'test-results.json') {
  const results = path.join(root, '.data', resultsName);
  mkdirSync(path.dirname(results), { recursive: true });
  rmSync(results, { force: true });
  const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  // HA_COVERAGE=1 (CI): line coverage of src/, workflows/ and activities/ — Jest's V8 coverage
  // of what runs inside it, and NODE_V8_COVERAGE of every process the tests start.
  const coverage = process.env.HA_COVERAGE === '1';
  const rawDir = path.join(root, '.data', 'coverage-raw');
  const jestDir = path.join(root, '.data', 'coverage-jest');
  const env = { ...process.env };
  const coverageArgs = [];
  if (coverage) {
    rmSync(rawDir, { recursive: true, force: true });
    rmSync(jestDir, { recursive: true, force: true });
    mkdirSync(rawDir, { recursive: true });
    env.NODE_V8_COVERAGE = rawDir;
    coverageArgs.push(
      '--coverage',
      '--coverageProvider',
      'v8',
      '--coverageReporters',
      'json',
      '--coverageDirectory',
      jestDir,
      '--collectCoverageFrom',
      'dist/{src,workflows,activities}/**/*.js',
    );
  }
  const code = await foreground(
    process.execPath,
    [jest, '--config', config, '--json', '--outputFile', results, ...coverageArgs, ...rest],
    env,
  );
  let passed = 0;
  let failed = 0;
  try {
    const r = JSON.parse(readFileSync(results, 'utf8'));
    passed = r.numPassedTests;
    // A suite that crashes before its tests run has no failed tests but is a failure.
    failed = r.numFailedTests + r.numRuntimeErrorTestSuites;
  } catch {
    failed = Math.max(1, failed);
  }
  if (code !== 0 && failed === 0) failed = 1;
  // Below the floor (or not measured), the run fails after the tests' own line.
  let coverageOk = true;
  if (coverage) {
    const { reportCoverage, FLOOR_LINES } = await import('./coverage.mjs');
    try {
      coverageOk =
        reportCoverage({ root, rawDir, jestJson: path.join(jestDir, 'coverage-final.json') }) >= FLOOR_LINES;
    } catch (err) {
      console.log(`coverage: not measured (${err.message})`);
      coverageOk = false;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 || !coverageOk ? 1 : 0;
}

checkNode();
ensureDependencies();
build();

switch (mode) {
  case 'build':
    break;
  case 'start': {
    await ensureTemporal();
    process.exitCode = await foreground(process.execPath, [
      path.join(root, 'bin', 'hactl.js'),
      'dev',
      ...rest,
    ]);
    break;
  }
  case 'test': {
    const bin = await ensureTemporal();
    process.env.TEMPORAL_CLI_FOR_TESTS = bin;
    process.exitCode = await runTests();
    break;
  }
  case 'test:cluster': {
    const bin = await ensureTemporal();
    process.env.TEMPORAL_CLI_FOR_TESTS = bin;
    process.exitCode = await runTests('jest.cluster.config.js', 'test-cluster-results.json');
    break;
  }
  case 'bench': {
    await ensureTemporal();
    process.exitCode = await foreground(process.execPath, [
      path.join(root, 'dist', 'bench', 'run.js'),
      ...rest,
    ]);
    break;
  }
  default:
    fail(`unknown mode "${mode}" (start, test, test:cluster, bench, build)`);
}
