// Chromium for the Web UI test: Debian's package (installed here with apt-get on first use when
// we are root), driven by playwright-core. Never a browser download: playwright-core is only the
// driver, and it launches this executable.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
/** Two test processes installing at once would fight over dpkg's lock; the second one waits. */
const LOCK = path.join(os.tmpdir(), 'ha-orchestrator-chromium-install.lock');

function find(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

function run(argv: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', (err) => resolve({ code: -1, out: String(err) }));
    child.on('close', (code) => resolve({ code, out }));
  });
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than the longest install is left over from a killed run.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone already
      }
      if (Date.now() > deadline) throw new Error(`waited too long for ${LOCK} (another chromium install)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Why this machine cannot have chromium (not installed, and not root to install it), or null. */
export function chromiumUnavailable(): string | null {
  if (find() || process.getuid?.() === 0) return null;
  return 'chromium is not installed and installing it needs root (apt-get install chromium)';
}

/** The path of Debian's chromium, installed first when missing; throws saying what is missing. */
export async function ensureChromium(log: (line: string) => void): Promise<string> {
  const found = find();
  if (found) return found;
  const why = chromiumUnavailable();
  if (why) throw new Error(why);
  return withLock(async () => {
    const again = find();
    if (again) return again;
    log('installing chromium (apt-get install chromium) ...');
    await run(['apt-get', 'update', '-q']);
    const r = await run([
      'apt-get',
      'install',
      '-y',
      '-q',
      '--no-install-recommends',
      '-o',
      'DPkg::Lock::Timeout=600',
      'chromium',
      // Text in the screenshots needs a font; most machines have this one already.
      'fonts-dejavu-core',
    ]);
    const bin = find();
    if (!bin) throw new Error(`apt-get install chromium failed: ${r.out.slice(-400)}`);
    return bin;
  });
}
