// Line coverage of src/, workflows/ and activities/ over the whole test run, on the compiled
// output mapped back to the TypeScript through its source maps. Two sources, merged:
//  - Jest's own V8 coverage of the code the test files load in-process (Jest runs it inside its
//    module wrapper, which only Jest maps correctly);
//  - NODE_V8_COVERAGE from every other Node process the tests start (hactl, workers, fixtures),
//    and the workflow bundle wherever it ran (workflow tests run it inside Jest's workers), read
//    with c8.
// Used by scripts/bootstrap.mjs when HA_COVERAGE=1; prints one line per top-level folder and a
// total, writes coverage/coverage-final.json and coverage/summary.txt, and says whether the
// floor is met.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const libCoverage = require('istanbul-lib-coverage');

export const COVERED_ROOTS = ['src', 'workflows', 'activities'];
export const FLOOR_LINES = 85;

/** Shrinks each raw V8 file to our compiled code and the workflow bundle. */
function filterRaw(rawDir, root) {
  const dist = `file://${path.join(root, 'dist')}/`;
  const ours = COVERED_ROOTS.map((r) => `${dist}${r}/`);
  const bundle = `${dist}workflow-bundle.js`;
  let files = 0;
  for (const name of readdirSync(rawDir)) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(rawDir, name);
    let raw;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      rmSync(file, { force: true }); // a process killed while writing it
      continue;
    }
    const keep = raw.result.filter((r) => r.url === bundle || ours.some((p) => r.url.startsWith(p)));
    if (keep.length === 0) rmSync(file, { force: true });
    else {
      writeFileSync(file, JSON.stringify({ result: keep }));
      files++;
    }
  }
  return files;
}

function c8Json(root, rawDir, outDir) {
  const c8 = path.join(root, 'node_modules', 'c8', 'bin', 'c8.js');
  const include = [
    'dist/workflow-bundle.js',
    ...COVERED_ROOTS.flatMap((r) => [`dist/${r}/**`, `${r}/**`]),
  ].flatMap((g) => ['--include', g]);
  const r = spawnSync(
    process.execPath,
    [
      c8,
      'report',
      '--temp-directory',
      rawDir,
      '--reports-dir',
      outDir,
      '--reporter',
      'json',
      '--exclude-after-remap',
      ...include,
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`c8 report failed: ${r.stderr || r.stdout}`);
  return JSON.parse(readFileSync(path.join(outDir, 'coverage-final.json'), 'utf8'));
}

/** Merges, summarises and prints; returns the total line percentage. */
export function reportCoverage({ root, rawDir, jestJson, outDir = path.join(root, 'coverage') }) {
  mkdirSync(outDir, { recursive: true });
  const map = libCoverage.createCoverageMap({});
  const processes = existsSync(rawDir) ? filterRaw(rawDir, root) : 0;
  if (processes > 0) map.merge(c8Json(root, rawDir, path.join(outDir, 'c8')));
  if (existsSync(jestJson)) map.merge(JSON.parse(readFileSync(jestJson, 'utf8')));
  const prefix = `${root}/`;
  map.filter((f) => COVERED_ROOTS.some((r) => f.startsWith(`${prefix}${r}/`)) && f.endsWith('.ts'));
  writeFileSync(path.join(outDir, 'coverage-final.json'), JSON.stringify(map.toJSON()));
  const byRoot = Object.fromEntries(COVERED_ROOTS.map((r) => [r, libCoverage.createCoverageSummary()]));
  const total = libCoverage.createCoverageSummary();
  for (const f of map.files()) {
    const s = map.fileCoverageFor(f).toSummary();
    byRoot[f.slice(prefix.length).split('/')[0]].merge(s);
    total.merge(s);
  }
  const line = (name, s) =>
    `  ${name.padEnd(12)} lines ${s.lines.pct.toFixed(2).padStart(6)} % (${s.lines.covered}/${s.lines.total})`;
  const lines = [
    `coverage (${map.files().length} files; Jest in-process and ${processes} other processes):`,
    ...COVERED_ROOTS.map((r) => line(`${r}/`, byRoot[r])),
    line('total', total),
    total.lines.pct >= FLOOR_LINES
      ? `coverage: ${total.lines.pct.toFixed(2)} % of lines, floor ${FLOOR_LINES} % met`
      : `coverage: ${total.lines.pct.toFixed(2)} % of lines, BELOW the floor of ${FLOOR_LINES} %`,
  ];
  writeFileSync(path.join(outDir, 'summary.txt'), `${lines.join('\n')}\n`);
  for (const l of lines) console.log(l);
  return total.lines.pct;
}
