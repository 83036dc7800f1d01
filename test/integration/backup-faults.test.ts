// Faults on the real path: a worker killed mid-archive, a worker stopped mid-archive (drain), a
// destination that is read-only, and one that fills up.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { BackupResult, VerifyReport } from '../../src/backup/model/types';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { snapshotTree } from '../helpers/tree';

const env = testEnv(__filename);
const tmp = tempDir('faults');
const config = path.join(tmp.dir, 'ha.yml');
const mounts: string[] = [];
let client: Client;
let close: () => Promise<void>;
let worker: WorkerProcess | undefined;

writeConfig(
  tmp.dir,
  'ha.yml',
  `version: 1
hosts:
  - name: alpha
backups:
  - name: bulk
    host: alpha
    paths: [bulk]
    destination: dest/bulk
  - name: readonly
    host: alpha
    paths: [small]
    destination: mnt/readonly
  - name: full
    host: alpha
    paths: [small]
    destination: mnt/full
  - name: live
    host: alpha
    paths: [live]
    destination: dest/live
  - name: longdump
    host: alpha
    commands:
      - name: slow.dump
        argv: ["sh", "-c", "sleep 20; echo dumped"]
        timeout: 1m
    destination: dest/longdump
`,
);

function mountTmpfs(dir: string, options: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `these fault tests mount small tmpfs volumes and need root (or CAP_SYS_ADMIN): mount said ${r.stderr.trim()}`,
    );
  }
  mounts.push(dir);
}

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return hactl([...args, '--config', config], { env: env.env, timeoutMs: 180_000 });
}

const dest = (rel: string): string => path.join(tmp.dir, rel);

beforeAll(async () => {
  // 160 MiB that does not compress: the archive step takes seconds, long enough to interrupt.
  mkdirSync(path.join(tmp.dir, 'bulk'));
  for (let i = 0; i < 5; i++)
    writeFileSync(path.join(tmp.dir, 'bulk', `part${i}.bin`), randomBytes(32 * 1024 * 1024));
  // 8 MiB that does not compress, for the 2 MiB volume.
  mkdirSync(path.join(tmp.dir, 'small'));
  writeFileSync(path.join(tmp.dir, 'small', 'data.bin'), randomBytes(8 * 1024 * 1024));
  mountTmpfs(dest('mnt/full'), 'size=2m,mode=0755');
  mountTmpfs(dest('mnt/readonly'), 'size=2m,mode=0755,ro');
  ({ client, close } = await connect(env));
  worker = await startWorker(env, 'alpha');
});

afterAll(async () => {
  await worker?.stop();
  await close();
  for (const m of mounts) spawnSync('umount', [m]);
  tmp.cleanup();
});

/** Waits until the archive being written in `dir` has at least `bytes`. */
async function partialAtLeast(dir: string, bytes: number): Promise<string> {
  return waitFor(
    () => {
      if (!existsSync(dir)) return undefined;
      const p = readdirSync(dir).find((n) => n.endsWith('.archive.partial'));
      return p && statSync(path.join(dir, p)).size >= bytes ? p : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 20, message: () => `no partial archive of ${bytes} bytes in ${dir}` },
  );
}

function noManifestWithoutArchive(dir: string): void {
  const names = readdirSync(dir);
  for (const m of names.filter((n) => n.endsWith('.manifest.json'))) {
    expect(names).toContain(m.replace('.manifest.json', '.tar.gz'));
  }
}

describe('backup faults', () => {
  it('SIGKILL of the worker mid-archive: after a restart the run completes, nothing partial is listed', async () => {
    const started = await cli(['backup', 'run', 'bulk', '--json']);
    expect(started.code).toBe(0);
    const partial = await partialAtLeast(dest('dest/bulk'), 8 * 1024 * 1024);
    worker!.kill('SIGKILL');
    await worker!.exited;

    // Dead worker: the partial file exists but is not a backup, and no manifest lacks its archive.
    expect(readdirSync(dest('dest/bulk'))).toContain(partial);
    noManifestWithoutArchive(dest('dest/bulk'));
    expect(readdirSync(dest('dest/bulk')).filter((n) => n.endsWith('.manifest.json'))).toEqual([]);

    worker = await startWorker(env, 'alpha');
    const result = (await client.workflow.getHandle('backup:bulk').result()) as BackupResult;
    expect(result.files).toBe(5);
    const names = readdirSync(dest('dest/bulk'));
    expect(names.filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(names.sort()).toEqual([`${result.id}.manifest.json`, `${result.id}.tar.gz`]);
    const list = JSON.parse((await cli(['backup', 'list', 'bulk', '--json'])).stdout) as {
      backups: Array<{ id: string }>;
    };
    expect(list.backups.map((b) => b.id)).toEqual([result.id]);
    const v = JSON.parse((await cli(['backup', 'verify', 'bulk', '--json'])).stdout) as VerifyReport[];
    expect(v.map((r) => r.status)).toEqual(['ok']);

    // The history shows the retry: the archive step ran more than once.
    const history = await client.workflow.getHandle('backup:bulk').fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 1);
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  });

  it('SIGTERM drains: the in-flight archive step finishes, the worker exits 0, the run completes', async () => {
    const started = await cli(['backup', 'run', 'bulk', '--json']);
    expect(started.code).toBe(0);
    const runId = (JSON.parse(started.stdout) as { runId: string }).runId;
    await partialAtLeast(dest('dest/bulk'), 4 * 1024 * 1024);
    const firstIdentity = worker!.output().match(/identity="([^"]+)"/)![1];
    worker!.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);

    worker = await startWorker(env, 'alpha');
    const handle = client.workflow.getHandle('backup:bulk', runId);
    await handle.result();
    const history = await handle.fetchHistory();
    const completed = (history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes);
    // The archive step (the first activity: no hooks) completed in the worker that was stopped.
    expect(completed[0]!.activityTaskCompletedEventAttributes!.identity).toBe(firstIdentity);
    const starts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(starts[0]!.activityTaskStartedEventAttributes!.attempt).toBe(1);
  });

  it('files that change or vanish while a backup runs: it finishes and lists them as warnings', async () => {
    const live = path.join(tmp.dir, 'live');
    mkdirSync(live);
    // Read first (sorted first) and slow to compress, while the others are deleted behind it.
    writeFileSync(path.join(live, 'a-big.log'), randomBytes(48 * 1024 * 1024));
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(live, `z-${String(i).padStart(5, '0')}`), 'x');
    const appender = spawn('sh', ['-c', `while :; do echo line >> '${live}/a-big.log'; done`], {
      stdio: 'ignore',
    });
    try {
      const run = cli(['backup', 'run', 'live', '--wait', '--json']);
      await partialAtLeast(dest('dest/live'), 0); // the archive step has begun: the listing is made
      const deleter = spawn('sh', ['-c', `cd '${live}' && ls | grep '^z-' | sort -r | xargs rm -f`], {
        stdio: 'ignore',
      });
      const deleted = new Promise((res) => deleter.once('exit', res));
      const r = await run;
      await deleted;
      expect(r.code).toBe(0);
      const result = JSON.parse(r.stdout) as BackupResult;
      const w = result.warnings.join('\n');
      expect(w).toMatch(/file (grew|changed) while being read.*a-big\.log/);
      expect(w).toMatch(/vanished before it was read: .*z-\d{5}/);
      expect(result.warnings.length).toBeLessThanOrEqual(201); // capped, with a count of the rest
      const v = JSON.parse((await cli(['backup', 'verify', 'live', '--json'])).stdout) as VerifyReport[];
      expect(v.map((x) => x.status)).toEqual(['ok']);
    } finally {
      appender.kill('SIGKILL');
    }
  });

  it('a dump command that runs longer than the heartbeat timeout is not mistaken for a dead worker', async () => {
    const r = await cli(['backup', 'run', 'longdump', '--wait', '--json']);
    expect(r.code).toBe(0);
    const history = await client.workflow.getHandle('backup:longdump').fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts.every((a) => a === 1)).toBe(true);
    expect((JSON.parse(r.stdout) as BackupResult).files).toBe(1);
  });

  it('a read-only destination is a clear failure; nothing is written and sources stay untouched', async () => {
    const before = snapshotTree(path.join(tmp.dir, 'small'));
    const r = await cli(['backup', 'run', 'readonly', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`destination ${dest('mnt/readonly')} is not writable (EROFS)`);
    expect(readdirSync(dest('mnt/readonly'))).toEqual([]);
    expect(snapshotTree(path.join(tmp.dir, 'small'))).toEqual(before);
  });

  it('a full destination is a clear failure; nothing half-written stays and sources stay untouched', async () => {
    const before = snapshotTree(path.join(tmp.dir, 'small'));
    const started = Date.now();
    const r = await cli(['backup', 'run', 'full', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`destination ${dest('mnt/full')} is full (ENOSPC)`);
    expect(readdirSync(dest('mnt/full'))).toEqual([]);
    expect(
      execFileSync('df', ['--output=used', '-k', dest('mnt/full')], { encoding: 'utf8' })
        .split('\n')[1]!
        .trim(),
    ).toBe('0');
    expect(snapshotTree(path.join(tmp.dir, 'small'))).toEqual(before);
    // Not retried: a full disk does not empty itself.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
