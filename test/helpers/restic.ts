// The real restic, to check our retention against it. Found like the Temporal CLI: $RESTIC_BIN,
// the cache, or built once with `go install` (the Go module proxy is the only network use).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, findGo, goInstall, isExecutable, withLock } from '../../src/platform/temporal/cli-binary';

export const RESTIC_VERSION = 'v0.18.1';
const MODULE = 'github.com/restic/restic/cmd/restic';

export function cachedRestic(): string {
  return path.join(cacheRoot(), `restic-${RESTIC_VERSION}`, 'restic');
}

export async function ensureRestic(log: (l: string) => void): Promise<string> {
  const env = process.env.RESTIC_BIN;
  if (env) {
    if (!isExecutable(env)) throw new Error(`RESTIC_BIN=${env} is not executable`);
    return env;
  }
  const cached = cachedRestic();
  if (isExecutable(cached)) return cached;
  const go = findGo();
  if (!go)
    throw new Error(
      `restic is needed for the retention conformance test: set RESTIC_BIN, or install Go so that it can be built`,
    );
  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(path.join(cacheRoot(), '.build-lock'), async () => {
    if (isExecutable(cached)) return cached;
    const staging = `${path.dirname(cached)}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    log(`Building restic ${RESTIC_VERSION} for the retention conformance test (first run only) ...`);
    const r = await goInstall(go, RESTIC_VERSION, staging, log, MODULE);
    if (!r.ok) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `go install ${MODULE}@${RESTIC_VERSION} failed:\n${r.output.trim().split('\n').slice(-15).join('\n')}`,
      );
    }
    rmSync(path.dirname(cached), { recursive: true, force: true });
    renameSync(staging, path.dirname(cached));
    return cached;
  });
}

export function resticVersion(bin: string): string {
  return spawnSync(bin, ['version'], { encoding: 'utf8' }).stdout.trim();
}
