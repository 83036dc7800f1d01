// Real tools the tests compare against, built once with `go install` from the Go module proxy
// (the only network use) into the same cache as the Temporal CLI, never downloaded as binaries:
// restic (retention), Alertmanager with amtool (notifications) and promtool (metrics).
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  chmodSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheRoot } from '../../src/platform/cache-dir';
import { findGo, goInstall, isExecutable, withLock } from '../../src/platform/temporal/cli-binary';

export interface GoTool {
  name: string;
  version: string;
  /** Module paths of the commands, installed into one directory. */
  modules: string[];
  /** Variable that points at a prebuilt binary directory instead. */
  env: string;
  why: string;
  /**
   * Built from the module's source instead of `go install`, when the module as published does
   * not build on its own (Alertmanager's web UI assets are made by npm and not in the module).
   */
  source?: { module: string; packages: string[]; prepare(dir: string): void; ldflags?: string };
}

export const RESTIC: GoTool = {
  name: 'restic',
  version: 'v0.18.1',
  modules: ['github.com/restic/restic/cmd/restic'],
  env: 'RESTIC_DIR',
  why: 'the retention conformance test compares our decisions with restic forget',
};

export const ALERTMANAGER: GoTool = {
  name: 'alertmanager',
  version: 'v0.35.0',
  modules: [
    'github.com/prometheus/alertmanager/cmd/alertmanager',
    'github.com/prometheus/alertmanager/cmd/amtool',
  ],
  env: 'ALERTMANAGER_DIR',
  why: 'the notification tests deliver to a real Alertmanager and compare its webhook payload with ours',
  source: {
    module: 'github.com/prometheus/alertmanager',
    packages: ['./cmd/alertmanager', './cmd/amtool'],
    // The web UI is built with npm in Alertmanager's own release process and is not in the
    // Go module: a placeholder page stands in for it. The API and notifications are untouched.
    prepare(dir) {
      for (const ui of ['elm', 'mantine']) {
        mkdirSync(path.join(dir, 'ui', 'app', 'dist', ui), { recursive: true });
        writeFileSync(
          path.join(dir, 'ui', 'app', 'dist', ui, 'index.html'),
          '<!doctype html><title>Alertmanager</title><p>web UI not built\n',
        );
      }
    },
    ldflags: '-X github.com/prometheus/common/version.Version=0.35.0',
  },
};

export const PROMTOOL: GoTool = {
  name: 'promtool',
  version: 'v0.316.0',
  modules: ['github.com/prometheus/prometheus/cmd/promtool'],
  env: 'PROMTOOL_DIR',
  why: 'the metrics tests check our exposition, alert rules and their unit tests with promtool',
};

function makeWritable(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    chmodSync(p, statSync(p).mode | 0o200);
    if (e.isDirectory()) makeWritable(p);
  }
}

/** `go mod download` the module, copy it somewhere writable, prepare it, `go build` each command. */
function buildFromSource(
  go: string,
  t: GoTool,
  out: string,
  log: (l: string) => void,
): { ok: boolean; output: string } {
  const src = t.source!;
  const env = { ...process.env, CGO_ENABLED: '0' };
  const dl = spawnSync(go, ['mod', 'download', '-json', `${src.module}@${t.version}`], {
    env,
    encoding: 'utf8',
  });
  if (dl.status !== 0) return { ok: false, output: `${dl.stdout}${dl.stderr}` };
  const moduleDir = (JSON.parse(dl.stdout) as { Dir: string }).Dir;
  const work = path.join(os.tmpdir(), `ha-build-${t.name}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  cpSync(moduleDir, work, { recursive: true });
  makeWritable(work);
  src.prepare(work);
  try {
    for (const pkg of src.packages) {
      log(`  go build ${t.name} ${pkg} ...`);
      const args = [
        'build',
        ...(src.ldflags ? ['-ldflags', src.ldflags] : []),
        '-o',
        path.join(out, path.basename(pkg)),
        pkg,
      ];
      const r = spawnSync(go, args, { cwd: work, env, encoding: 'utf8' });
      if (r.status !== 0) return { ok: false, output: `${r.stdout}${r.stderr}` };
    }
    return { ok: true, output: '' };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function toolDir(t: GoTool): string {
  return process.env[t.env] ?? path.join(cacheRoot(), `${t.name}-${t.version}`);
}

/** The directory holding the tool's binaries, built on first use. */
export async function ensureGoTool(t: GoTool, log: (l: string) => void): Promise<string> {
  const dir = toolDir(t);
  const bins = t.modules.map((m) => path.join(dir, path.basename(m)));
  if (bins.every(isExecutable)) return dir;
  if (process.env[t.env])
    throw new Error(`${t.env}=${dir} does not hold ${bins.map((b) => path.basename(b)).join(', ')}`);
  const go = findGo();
  if (!go)
    throw new Error(
      `${t.name} ${t.version} is needed (${t.why}): install Go so that it can be built, or set ${t.env}`,
    );
  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(path.join(cacheRoot(), '.build-lock'), async () => {
    if (bins.every(isExecutable)) return dir;
    const staging = `${dir}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    log(`Building ${t.name} ${t.version} for the tests (first run only) ...`);
    const results = t.source
      ? [buildFromSource(go, t, staging, log)]
      : await Promise.all(t.modules.map((m) => goInstall(go, t.version, staging, log, m)));
    const failed = results.find((r) => !r.ok);
    if (failed) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `building ${t.name} ${t.version} failed:\n${failed.output.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return dir;
  });
}
