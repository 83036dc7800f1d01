// Finds the Temporal CLI (which embeds the dev server and Web UI), or builds it from source
// with Go. Nothing is downloaded as a binary: the only network use is the Go module proxy.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsc, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OperationFailed } from '../../core/errors';
import { cacheRoot } from '../cache-dir';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** Tried in order when the preferred tag does not build with the local Go. */
const FALLBACK_VERSIONS = ['v1.4.1', 'v1.3.0'];
const MODULE = 'github.com/temporalio/cli/cmd/temporal';

/** No Temporal CLI, and none could be built (exit 1). */
export class TemporalCliMissing extends OperationFailed {}

export function cachedBinaryPath(version = TEMPORAL_CLI_VERSION): string {
  return path.join(cacheRoot(), `temporal-${version}`, 'temporal');
}

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, fsc.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

export function findGo(): string | undefined {
  return (
    onPath('go') ?? ['/usr/local/go/bin/go', path.join(os.homedir(), 'go', 'bin', 'go')].find(isExecutable)
  );
}

export type Resolution = { path: string; source: 'TEMPORAL_CLI' | 'PATH' | 'cache' };

/** Looks for an existing binary without building anything. */
export function findTemporalCli(): Resolution | undefined {
  const env = process.env.TEMPORAL_CLI;
  if (env) {
    if (!isExecutable(env)) throw new TemporalCliMissing(`TEMPORAL_CLI=${env} is not an executable file`);
    return { path: env, source: 'TEMPORAL_CLI' };
  }
  const fromPath = onPath('temporal');
  if (fromPath) return { path: fromPath, source: 'PATH' };
  for (const v of [TEMPORAL_CLI_VERSION, ...FALLBACK_VERSIONS]) {
    const p = cachedBinaryPath(v);
    if (isExecutable(p)) return { path: p, source: 'cache' };
  }
  return undefined;
}

function missingMessage(extra: string): string {
  return [
    `Temporal CLI not found. ${extra}`,
    'Install it in one of these ways, then run the command again:',
    `  1. with Go:      GOBIN=${path.dirname(cachedBinaryPath())} go install ${MODULE}@${TEMPORAL_CLI_VERSION}`,
    '  2. Homebrew:     brew install temporal',
    '  3. a release:    put the `temporal` binary from https://github.com/temporalio/cli/releases on your PATH',
    '  4. any location: export TEMPORAL_CLI=/path/to/temporal',
  ].join('\n');
}

/** Waits for a directory lock so that two processes never build into the cache at once. */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than the build could possibly take belongs to a process that died.
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 30 * 60_000)
          rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* raced with its owner removing it */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/** `go install module@version` into gobin; resolves with the combined output. */
export function goInstall(
  go: string,
  version: string,
  gobin: string,
  log: (line: string) => void,
  module = MODULE,
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(go, ['install', `${module}@${version}`], {
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: process.env.CGO_ENABLED ?? '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (b: Buffer): void => {
      output += b.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => log(`  still building ${path.basename(module)} ${version} ...`), 30_000);
    child.on('error', (err) => {
      clearInterval(ticker);
      resolve({ ok: false, output: String(err) });
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      resolve({ ok: code === 0, output });
    });
  });
}

/**
 * Returns a usable Temporal CLI, building it with Go into the cache when none exists.
 * `log` receives progress lines (the first build takes a few minutes).
 */
export async function ensureTemporalCli(
  log: (line: string) => void = () => undefined,
  opts: { go?: string | null } = {},
): Promise<Resolution> {
  const found = findTemporalCli();
  if (found) return found;
  const go = opts.go === undefined ? findGo() : (opts.go ?? undefined);
  if (!go)
    throw new TemporalCliMissing(missingMessage('Go is not installed either, so it cannot be built here.'));

  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(path.join(cacheRoot(), '.build-lock'), async () => {
    const again = findTemporalCli();
    if (again) return again;
    const failures: string[] = [];
    for (const version of [TEMPORAL_CLI_VERSION, ...FALLBACK_VERSIONS]) {
      const final = cachedBinaryPath(version);
      const staging = `${path.dirname(final)}.partial-${process.pid}`;
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(staging, { recursive: true });
      log(`Building the Temporal CLI ${version} with ${go} (first run only; takes a few minutes) ...`);
      const started = Date.now();
      const r = await goInstall(go, version, staging, log);
      if (r.ok && existsSync(path.join(staging, 'temporal'))) {
        rmSync(path.dirname(final), { recursive: true, force: true });
        renameSync(staging, path.dirname(final));
        log(`Built ${final} in ${Math.round((Date.now() - started) / 1000)}s`);
        return { path: final, source: 'cache' as const };
      }
      rmSync(staging, { recursive: true, force: true });
      const tail = r.output.trim().split('\n').slice(-15).join('\n');
      failures.push(`go install ${MODULE}@${version} failed:\n${tail}`);
      log(`Build of ${version} failed; trying an earlier tag.`);
    }
    throw new TemporalCliMissing(missingMessage(`Building it with Go failed:\n${failures.join('\n\n')}`));
  });
}

/** `temporal --version` first line, for diagnostics. */
export function temporalCliVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || r.stderr || '').trim().split('\n')[0] ?? '';
}
