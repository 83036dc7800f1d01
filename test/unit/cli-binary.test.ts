import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  cachedBinaryPath,
  ensureTemporalCli,
  findTemporalCli,
  TemporalCliMissing,
} from '../../src/platform/temporal/cli-binary';
import { tempDir } from '../helpers';

function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('finding or building the Temporal CLI', () => {
  const saved = { ...process.env };
  let tmp: ReturnType<typeof tempDir>;

  beforeEach(() => {
    tmp = tempDir('cli');
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = path.join(tmp.dir, 'empty-path');
    process.env.HA_CACHE_DIR = path.join(tmp.dir, 'cache');
  });
  afterEach(() => {
    process.env = { ...saved };
    tmp.cleanup();
  });

  it('prefers $TEMPORAL_CLI', () => {
    const bin = script(path.join(tmp.dir, 'x', 'temporal'), 'echo x');
    script(path.join(tmp.dir, 'empty-path', 'temporal'), 'echo path');
    process.env.TEMPORAL_CLI = bin;
    expect(findTemporalCli()).toEqual({ path: bin, source: 'TEMPORAL_CLI' });
  });

  it('rejects a $TEMPORAL_CLI that is not executable', () => {
    process.env.TEMPORAL_CLI = path.join(tmp.dir, 'nope');
    expect(() => findTemporalCli()).toThrow(/TEMPORAL_CLI=.*nope is not an executable file/);
  });

  it('then `temporal` on PATH, then the cache', () => {
    const cached = script(cachedBinaryPath(), 'echo cached');
    expect(findTemporalCli()).toEqual({ path: cached, source: 'cache' });
    const onPath = script(path.join(tmp.dir, 'empty-path', 'temporal'), 'echo path');
    expect(findTemporalCli()).toEqual({ path: onPath, source: 'PATH' });
  });

  it('lists the ways to install it when there is neither a binary nor Go', async () => {
    const err = await ensureTemporalCli(() => undefined, { go: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalCliMissing);
    const msg = (err as Error).message;
    expect(msg).toContain('Go is not installed either');
    expect(msg).toContain('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
    expect(msg).toContain('brew install temporal');
    expect(msg).toContain('export TEMPORAL_CLI=');
  });

  it('builds into the cache with `go install`, and falls back to an earlier tag', async () => {
    // A stand-in for go: v1.5.1 fails, v1.4.1 "builds" by writing $GOBIN/temporal.
    const fakeGo = script(
      path.join(tmp.dir, 'go'),
      'case "$2" in *@v1.5.1) echo "compile error: something" >&2; exit 1;; esac\nprintf "#!/bin/sh\\necho built" > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"',
    );
    const lines: string[] = [];
    const r = await ensureTemporalCli((l) => lines.push(l), { go: fakeGo });
    expect(r).toEqual({ path: cachedBinaryPath('v1.4.1'), source: 'cache' });
    expect(lines.join('\n')).toContain('Build of v1.5.1 failed');
    // Next time it is found without building.
    expect(findTemporalCli()).toEqual({ path: cachedBinaryPath('v1.4.1'), source: 'cache' });
  });

  it('quotes the build error when every tag fails', async () => {
    const fakeGo = script(path.join(tmp.dir, 'go'), 'echo "go: module lookup disabled" >&2; exit 1');
    const err = (await ensureTemporalCli(() => undefined, { go: fakeGo }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TemporalCliMissing);
    expect(err.message).toContain('go: module lookup disabled');
    expect(err.message).toContain('@v1.3.0 failed');
  });
});
