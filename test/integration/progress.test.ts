// Progress of long work through the real path: hactl under a pseudo-terminal (util-linux
// `script`) rewrites one line with files, bytes, rate and ETA from the activity's heartbeats;
// piped, it prints plain lines without escapes and leaves stdout as it was; NO_COLOR drops the
// colour; `dr run --wait` shows the current step and what it waits for; `status --watch`
// refreshes until Ctrl-C and exits 0.
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import * as path from 'node:path';
import type { BackupResult } from '../../src/backup/model/types';
import { connect, HACTL, hactl, ROOT, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { freePorts } from '../helpers/service';

const env = testEnv(__filename);
const tmp = tempDir('progress');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
const FILES = 24;
const ESC = String.fromCharCode(27);
let worker: WorkerProcess;
let close: () => Promise<void>;
let port: number;
let server: Server | undefined;
const running: Running[] = [];
/** Without colour escapes: what a person reads. */
const plain = (s: string): string => s.replace(new RegExp(`${ESC}\\[[0-9;]*m`, 'g'), '');

function config(): string {
  // Level 9 on text from a four-letter alphabet: slow enough to see several heartbeats.
  return `version: 1
hosts: [{ name: alpha }]
backups:
  - { name: bulk, host: alpha, paths: [${JSON.stringify(W('bulk'))}], destination: ${JSON.stringify(W('dest'))}, gzipLevel: 9 }
drPlans:
  - name: gated
    contacts: [{ name: ann, role: dba }]
    groups:
      - name: first
        steps:
          - name: db-up
            wait: { until: { type: tcp, address: '127.0.0.1:${port}', interval: 300ms, timeout: 200ms }, from: alpha }
      - name: then
        steps:
          - { name: go, approval: { approvers: [ann], question: 'go on?' } }
`;
}

interface Running {
  out: () => string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (s: NodeJS.Signals) => void;
}

function start(cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...env.env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const r: Running = {
    out: () => out,
    done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal }))),
    kill: (s) => child.kill(s),
  };
  running.push(r);
  void r.done.then(() => running.splice(running.indexOf(r), 1));
  return r;
}

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** `hactl ARGS` on a pseudo-terminal: stdout and stderr are both the terminal. */
function onTerminal(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Running {
  const line = [process.execPath, HACTL, ...args, '--config', W('ha.yml')].map(quote).join(' ');
  return start('script', ['-qfec', line, '/dev/null'], { TERM: 'xterm-256color', ...extraEnv });
}

beforeAll(async () => {
  port = (await freePorts(1))[0]!;
  mkdirSync(W('bulk'), { recursive: true });
  const buf = Buffer.alloc(2 * 1024 * 1024);
  for (let i = 0; i < FILES; i++) {
    randomFillSync(buf);
    for (let j = 0; j < buf.length; j++) buf[j] = 97 + (buf[j]! & 3);
    writeFileSync(W('bulk', `part-${String(i).padStart(2, '0')}.txt`), buf);
  }
  writeConfig(tmp.dir, 'ha.yml', config());
  ({ close } = await connect(env));
  worker = await startWorker(env, 'alpha');
}, 120_000);

afterAll(async () => {
  for (const r of [...running]) r.kill('SIGKILL');
  server?.close();
  await worker?.stop();
  await close?.();
  tmp.cleanup();
});

describe('progress on a terminal and off it', () => {
  it('backup run --wait on a terminal: one line rewritten with files, bytes, rate and ETA', async () => {
    const r = onTerminal(['backup', 'run', 'bulk', '--wait']);
    const { code } = await r.done;
    const out = r.out();
    expect([code, code ? out : '']).toEqual([0, '']);
    // Rewritten in place, in colour (no NO_COLOR here).
    expect(out).toContain(`\r${ESC}[2K`);
    expect(out).toContain(`${ESC}[36marchiving${ESC}[39m`);
    const lines = out.split(`\r${ESC}[2K`).map(plain);
    expect(
      lines.some((l) =>
        new RegExp(
          `^archiving  files \\d+/${FILES}  bytes [\\d.]+ [KM]iB/48\\.0 MiB  [\\d.]+ [KM]iB/s  ETA \\d+`,
        ).test(l),
      ),
    ).toBe(true);
    expect(out).toMatch(/backup \S+ done: 24 files, 48\.0 MiB read/);
    // stdout's result is still printed, after the progress.
    expect(out).toMatch(/backup \S+ of bulk on alpha: 24 files/);
  }, 240_000);

  it('piped with --json: plain progress lines on stderr, no escapes, stdout is the JSON result', async () => {
    const r = await hactl(['backup', 'run', 'bulk', '--wait', '--json', '--config', W('ha.yml')], {
      env: env.env,
      timeoutMs: 240_000,
    });
    expect([r.code, r.code ? r.stderr : '']).toEqual([0, '']);
    const result = JSON.parse(r.stdout) as BackupResult;
    expect(result.files).toBe(FILES);
    expect(r.stderr).toMatch(
      new RegExp(`^archiving  files \\d+/${FILES}  bytes [\\d.]+ [KM]iB/48\\.0 MiB`, 'm'),
    );
    expect(r.stderr).toMatch(/^backup \S+ done: 24 files/m);
    expect(r.stderr).not.toContain(ESC);
    expect(r.stdout).not.toContain(ESC);
  }, 240_000);

  it('restore --wait piped: extraction with totals from the manifest, rate and ETA', async () => {
    const r = await hactl(
      ['restore', 'bulk', '--to', W('restored'), '--rate-limit', '4MiB', '--wait', '--config', W('ha.yml')],
      { env: env.env, timeoutMs: 240_000 },
    );
    expect([r.code, r.code ? r.stderr : '']).toEqual([0, '']);
    expect(r.stderr).toMatch(
      new RegExp(
        `^extracting  files \\d+/${FILES}  bytes [\\d.]+ [KM]iB/48\\.0 MiB  [\\d.]+ [KM]iB/s  ETA \\d+`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^restore done: 24 files, 48\.0 MiB into /m);
    expect(r.stderr).not.toContain(ESC);
    expect(r.stdout).toContain(W('restored'));
  }, 240_000);

  it('backup verify on a terminal with NO_COLOR: no colour, the final line', async () => {
    const r = onTerminal(['backup', 'verify', 'bulk'], { NO_COLOR: '1' });
    const { code } = await r.done;
    const out = r.out();
    expect([code, code ? out : '']).toEqual([0, '']);
    expect(out).toMatch(/verify done: (\d+) backup\(s\) read, \1 ok/);
    expect(out).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
  }, 240_000);
});

describe('dr run --wait', () => {
  it('shows the current step and what it waits for: a probe, then an approval', async () => {
    const r = onTerminal(['dr', 'run', 'gated', '--as', 'zed', '--wait']);
    await waitFor(() => /db-up: waits for tcp 127\.0\.0\.1:\d+ from alpha; last: /.test(plain(r.out())), {
      timeoutMs: 60_000,
      message: () => `no probe progress:\n${r.out()}`,
    });
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
    await waitFor(() => plain(r.out()).includes('go: waits for approval from ann (0/1)'), {
      timeoutMs: 60_000,
      message: () => `no approval progress:\n${r.out()}`,
    });
    const id = /started (dr:gated:\S+);/.exec(r.out())![1]!;
    const a = await hactl(['dr', 'approve', id, 'go', '--as', 'ann'], { env: env.env });
    expect(a.code).toBe(0);
    const { code } = await r.done;
    expect([code, code ? r.out() : '']).toEqual([0, '']);
    expect(r.out()).toContain(`${id} completed`);
    expect(plain(r.out())).toMatch(/running {2}1\/2 steps {2}\| {2}go: waits for approval/);
  }, 180_000);
});

describe('status --watch', () => {
  it('refreshes with a timestamp line when piped, and stops on SIGINT with exit 0', async () => {
    const r = start(process.execPath, [
      HACTL,
      'status',
      '--watch',
      '--interval',
      '500ms',
      '--config',
      W('ha.yml'),
    ]);
    await waitFor(
      () => (r.out().match(/^--- \d{4}-\d\d-\d\dT\S+ \(every 0\.5s; Ctrl-C stops\)$/gm) ?? []).length >= 2,
      {
        timeoutMs: 60_000,
        message: () => `fewer than two refreshes:\n${r.out()}`,
      },
    );
    r.kill('SIGINT');
    expect(await r.done).toEqual({ code: 0, signal: null });
    expect(r.out()).not.toContain(ESC);
  }, 90_000);
});
