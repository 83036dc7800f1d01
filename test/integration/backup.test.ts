// Backups through the real path: hactl -> Temporal -> a host worker process -> real files, and
// back. Round trips, GNU tar on its own, --at, retention, verify, drill, status, hostile input.
// Over 400 lines on purpose: the cases share one worker pair and one set of backups.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type {
  BackupInfo,
  BackupResult,
  Manifest,
  RestoreResult,
  VerifyReport,
} from '../../src/backup/model/types';
import { connect, hactl, startWorker, tempDir, testEnv, waitFor, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { sha256File, snapshotTree } from '../helpers/tree';

const env = testEnv(__filename);
const tmp = tempDir('backup');
const src = path.join(tmp.dir, 'src');
const large = path.join(tmp.dir, 'large');
const config = path.join(tmp.dir, 'ha.yml');
let client: Client;
let close: () => Promise<void>;
let alpha: WorkerProcess;
let beta: WorkerProcess;

function yaml(): string {
  return `version: 1
hosts:
  - name: alpha
  - name: beta
  - name: gamma # no worker runs for gamma
backups:
  - name: demo
    host: alpha
    paths: [src]
    exclude: ["*.tmp"]
    commands:
      - name: inventory.txt
        argv: ["sh", "-c", "ls -1 src | sort"]
        cwd: .
    destination: dest/demo
    schedule: { cron: "0 3 * * *" }
    timezone: Europe/Berlin
    retention: { keepLast: 3 }
    verify: { schedule: weekly, sample: 1 }
    drill: { schedule: weekly }
  - name: large
    host: alpha
    paths: [large]
    destination: dest/large
    gzipLevel: 1
  - name: slow
    host: alpha
    paths: [src]
    destination: dest/slow
    hooks:
      pre: [{ argv: ["sleep", "3"] }]
  - name: missing
    host: alpha
    paths: [does-not-exist]
    destination: dest/missing
  - name: evil
    host: alpha
    paths: [src]
    destination: dest/evil
  - name: offline
    host: gamma
    paths: [src]
    destination: dest/offline
`;
}

function makeSource(): void {
  mkdirSync(path.join(src, 'docs', 'Ärger & Überstunden'), { recursive: true });
  mkdirSync(path.join(src, 'empty dir'), { recursive: true });
  writeFileSync(path.join(src, 'docs', 'Ärger & Überstunden', 'naïve résumé.txt'), 'contenu\n');
  writeFileSync(path.join(src, 'name with spaces.txt'), 'spaces\n');
  writeFileSync(path.join(src, '日本語.md'), '# こんにちは\n');
  writeFileSync(path.join(src, 'skip-me.tmp'), 'excluded\n');
  writeFileSync(
    path.join(src, 'random.bin'),
    createHash('sha512').update('seed').digest().toString('hex').repeat(5000),
  );
  symlinkSync('docs', path.join(src, 'docs-link'));
  symlinkSync('name with spaces.txt', path.join(src, 'relative-link'));
  // > 1 GiB, sparse: a real size without using the disk.
  mkdirSync(large);
  const fd = openSync(path.join(large, 'huge.img'), 'w');
  writeSync(fd, 'start', 0);
  writeSync(fd, 'end', 1100 * 1024 * 1024);
  closeSync(fd);
}

async function cli<T>(
  args: string[],
  ok = true,
): Promise<{ code: number | null; out: T; stderr: string; stdout: string }> {
  const r = await hactl([...args, '--config', config], { env: env.env, timeoutMs: 180_000 });
  if (ok && r.code !== 0)
    throw new Error(`hactl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  let out = undefined as T;
  try {
    out = JSON.parse(r.stdout) as T;
  } catch {
    /* not JSON */
  }
  return { code: r.code, out, stderr: r.stderr, stdout: r.stdout };
}

const runBackup = async (set: string): Promise<BackupResult> =>
  (await cli<BackupResult>(['backup', 'run', set, '--wait', '--json'])).out;
const dest = (set: string): string => path.join(tmp.dir, 'dest', set);

beforeAll(async () => {
  makeSource();
  writeConfig(tmp.dir, 'ha.yml', yaml());
  ({ client, close } = await connect(env));
  [alpha, beta] = await Promise.all([startWorker(env, 'alpha'), startWorker(env, 'beta')]);
  const applied = await hactl(['apply', config], { env: env.env });
  expect(applied.code).toBe(0);
});

afterAll(async () => {
  await Promise.all([alpha?.stop(), beta?.stop()]);
  await close();
  tmp.cleanup();
});

describe('backup and restore through hactl', () => {
  const results: BackupResult[] = [];

  it('backs up and restores byte-identical files, modes, mtimes, symlinks and empty dirs', async () => {
    const r = await runBackup('demo');
    results.push(r);
    expect(r.id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(r.verified).toBe(true);
    expect(r.files).toBe(5); // 4 source files (one excluded) + the command output
    expect(r.warnings).toEqual([]);
    const to = path.join(tmp.dir, 'restore-1');
    const restored = (
      await cli<RestoreResult>(['restore', 'demo', '--to', to, '--id', r.id, '--wait', '--json'])
    ).out;
    expect(restored).toMatchObject({ id: r.id, host: 'alpha', target: to, previous: null });
    const want = snapshotTree(src);
    delete want['skip-me.tmp'];
    expect(snapshotTree(path.join(to, src.slice(1)))).toEqual(want);
    expect(readFileSync(path.join(to, 'commands', 'inventory.txt'), 'utf8')).toContain('日本語.md');
  });

  it('writes a manifest with the archive checksum and a SHA-256 per file', () => {
    const id = results[0]!.id;
    const m = JSON.parse(readFileSync(path.join(dest('demo'), `${id}.manifest.json`), 'utf8')) as Manifest;
    const archive = path.join(dest('demo'), `${id}.tar.gz`);
    expect(m).toMatchObject({
      id,
      set: 'demo',
      host: 'alpha',
      archive: `${id}.tar.gz`,
      archiveBytes: readFileSync(archive).length,
    });
    expect(m.archiveSha256).toBe(sha256File(archive));
    const f = m.entries.find((e) => e.path.endsWith('/name with spaces.txt'))!;
    expect(f.sha256).toBe(createHash('sha256').update('spaces\n').digest('hex'));
    expect(m.sources[0]!.path).toBe(src);
  });

  it('is extracted by GNU tar alone, identically', () => {
    const archive = path.join(dest('demo'), `${results[0]!.id}.tar.gz`);
    const out = path.join(tmp.dir, 'gnu-tar');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', archive, '-C', out]);
    const want = snapshotTree(src);
    delete want['skip-me.tmp'];
    expect(snapshotTree(path.join(out, src.slice(1)))).toEqual(want);
  });

  it('restores a file over 1 GiB (sparse source) and GNU tar reads that archive too', async () => {
    const r = await runBackup('large');
    expect(r.bytesIn).toBe(1100 * 1024 * 1024 + 3);
    const to = path.join(tmp.dir, 'restore-large');
    await cli(['restore', 'large', '--to', to, '--wait', '--json']);
    const restored = path.join(to, large.slice(1), 'huge.img');
    expect(sha256File(restored)).toBe(sha256File(path.join(large, 'huge.img')));
    rmSync(to, { recursive: true, force: true });
    const listing = execFileSync('tar', ['-tvzf', path.join(dest('large'), `${r.id}.tar.gz`)], {
      encoding: 'utf8',
    });
    expect(listing).toMatch(/1153433603 .*huge\.img/);
  });

  it('--at picks the newest backup at or before the time, and explains when there is none', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    appendFileSync(path.join(src, 'name with spaces.txt'), 'second\n');
    results.push(await runBackup('demo'));
    await new Promise((r) => setTimeout(r, 1100));
    appendFileSync(path.join(src, 'name with spaces.txt'), 'third\n');
    results.push(await runBackup('demo'));
    const [b1, b2, b3] = results.map((x) => Date.parse(x.createdAt));
    const between = new Date((b1! + b2!) / 2).toISOString();
    const to = path.join(tmp.dir, 'restore-at');
    const restoreAt = async (at: string, ...extra: string[]): Promise<RestoreResult> =>
      (await cli<RestoreResult>(['restore', 'demo', '--to', to, '--at', at, '--wait', '--json', ...extra]))
        .out;
    const r = await restoreAt(between);
    expect(r.id).toBe(results[0]!.id);
    expect(readFileSync(path.join(to, src.slice(1), 'name with spaces.txt'), 'utf8')).toBe('spaces\n');
    // Exactly at a backup's time picks that backup; later than all picks the newest.
    const exact = await restoreAt(results[1]!.createdAt);
    expect(exact.id).toBe(results[1]!.id);
    expect(exact.previous).toMatch(/restore-at\.ha-previous-/);
    const after = await restoreAt(new Date(b3! + 60_000).toISOString(), '--discard-previous');
    expect(after.id).toBe(results[2]!.id);
    expect(after.previous).toBeNull();
    expect(readFileSync(path.join(to, src.slice(1), 'name with spaces.txt'), 'utf8')).toBe(
      'spaces\nsecond\nthird\n',
    );

    const before = await cli(
      ['restore', 'demo', '--to', to, '--at', '2001-01-01T00:00:00Z', '--wait'],
      false,
    );
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('no backup of demo at or before 2001-01-01T00:00:00.000Z; available:');
    expect(before.stderr).toContain(results[0]!.id);
  });

  it('applies retention after each run (keepLast 3) and prune --dry-run explains every decision', async () => {
    results.push(await runBackup('demo'));
    const last = results.at(-1)!;
    expect(last.retention.removed).toEqual([results[0]!.id]);
    const listed = (
      await cli<{ backups: BackupInfo[] }>(['backup', 'list', 'demo', '--json'])
    ).out.backups.map((b) => b.id);
    expect(listed).toEqual(results.slice(1).map((x) => x.id));
    const pruned = (
      await cli<{ dryRun: boolean; backups: Array<{ id: string; keep: boolean; reasons: string[] }> }>([
        'backup',
        'prune',
        'demo',
        '--dry-run',
        '--json',
      ])
    ).out;
    expect(pruned.dryRun).toBe(true);
    expect(pruned.backups.map((b) => [b.id, b.keep, b.reasons])).toEqual([
      [results[3]!.id, true, ['last']],
      [results[2]!.id, true, ['last']],
      [results[1]!.id, true, ['last']],
    ]);
  });

  it('verify reports ok, corrupted (flipped byte, truncated) and missing; restore refuses and writes nothing', async () => {
    const [a, b, c] = results.slice(1).map((x) => x.id);
    const ok = (await cli<VerifyReport[]>(['backup', 'verify', 'demo', '--json'])).out;
    expect(ok.map((x) => x.status)).toEqual(['ok', 'ok', 'ok']);

    const fileA = path.join(dest('demo'), `${a}.tar.gz`);
    const bytes = readFileSync(fileA);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = bytes[mid]! ^ 0x01;
    writeFileSync(fileA, bytes);
    const fileB = path.join(dest('demo'), `${b}.tar.gz`);
    truncateSync(fileB, Math.floor(readFileSync(fileB).length / 2));
    const fileC = path.join(dest('demo'), `${c}.tar.gz`);
    const saved = readFileSync(fileC);
    rmSync(fileC);

    const v = await cli<VerifyReport[]>(['backup', 'verify', 'demo', '--all', '--json'], false);
    expect(v.code).toBe(1);
    expect(v.out.map((x) => [x.id, x.status])).toEqual([
      [a, 'corrupted'],
      [b, 'corrupted'],
      [c, 'missing'],
    ]);
    expect(v.out[0]!.detail).toContain('SHA-256');
    expect(v.out[1]!.detail).toMatch(/bytes, its manifest says/);

    const to = path.join(tmp.dir, 'restore-corrupt');
    mkdirSync(to);
    writeFileSync(path.join(to, 'keep-me'), 'untouched');
    // The flipped byte is caught by the restore's checksum on the host; the truncated archive
    // is not even a backup any more (its size no longer matches), so it is refused up front.
    const flipped = await cli(['restore', 'demo', '--to', to, '--id', a!, '--wait'], false);
    expect(flipped.code).toBe(1);
    expect(flipped.stderr).toContain('fails its SHA-256 check (corrupted); nothing was written');
    const truncated = await cli(['restore', 'demo', '--to', to, '--id', b!, '--wait'], false);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toMatch(
      /is damaged: archive .* has \d+ bytes, its manifest says \d+ \(truncated or altered\); nothing was written/,
    );
    const listing = (
      await cli<{ backups: BackupInfo[]; damaged: Array<{ id: string }> }>([
        'backup',
        'list',
        'demo',
        '--json',
      ])
    ).out;
    expect(listing.backups.map((x) => x.id)).toEqual([a]);
    expect(listing.damaged.map((x) => x.id)).toEqual([b, c]);
    expect(readdirSync(to)).toEqual(['keep-me']);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('ha-restore'))).toEqual([]);
    writeFileSync(fileC, saved);
    expect((await cli<VerifyReport[]>(['backup', 'verify', 'demo', c!, '--json'])).out[0]!.status).toBe('ok');
  });

  it('a restore drill restores the newest backup, checks it and cleans up', async () => {
    const d = (await cli<RestoreResult & { manifestFiles: number }>(['backup', 'drill', 'demo', '--json']))
      .out;
    expect(d.id).toBe(results.at(-1)!.id);
    expect(d.files).toBe(d.manifestFiles);
    expect(existsSync(d.target)).toBe(false);
    // The scheduled drill runs the same workflow.
    await client.schedule.getHandle('backup-drill:demo').trigger();
    await waitFor(
      async () => {
        for await (const w of client.workflow.list({
          query: `WorkflowType = 'backupDrillWorkflow' AND HaTarget = 'demo' AND ExecutionStatus = 'Completed'`,
        })) {
          if (w.workflowId.startsWith('backup-drill:demo-20')) return true;
        }
        return false;
      },
      { timeoutMs: 60_000 },
    );
  });

  it('the scheduled verify reads a rotating sample: least recently verified first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = await client.workflow.start('backupVerifyWorkflow', {
        taskQueue: 'ha-orchestrator',
        workflowId: `verify-rotation-${i}-${Date.now()}`,
        args: [{ set: 'demo', host: 'alpha', destination: dest('demo'), sample: 1, deep: true }],
      });
      const [r] = (await handle.result()) as VerifyReport[];
      ids.push(r!.id);
    }
    // Three runs, one backup each: every backup of the set was read once.
    expect(new Set(ids)).toEqual(new Set(results.slice(1).map((x) => x.id)));
  });

  it('restores on another host when it can read the destination', async () => {
    const to = path.join(tmp.dir, 'restore-on-beta');
    const r = (
      await cli<RestoreResult>(['restore', 'demo', '--host', 'beta', '--to', to, '--wait', '--json'])
    ).out;
    expect(r.host).toBe('beta');
    expect(existsSync(path.join(to, src.slice(1), '日本語.md'))).toBe(true);
  });

  it('refuses a second run of a set while one is in progress', async () => {
    const [first, second] = await Promise.all([
      cli(['backup', 'run', 'slow'], false),
      cli(['backup', 'run', 'slow'], false),
    ]);
    const codes = [first.code, second.code].sort();
    expect(codes).toEqual([0, 1]);
    const refused = first.code === 1 ? first : second;
    expect(refused.stderr).toContain('a backup of set slow is already in progress (workflow backup:slow');
    await waitFor(
      async () => (await client.workflow.getHandle('backup:slow').describe()).status.name === 'COMPLETED',
      { timeoutMs: 60_000 },
    );
  });

  it('warns when the set’s host has no live worker', async () => {
    const r = await cli(['backup', 'run', 'offline'], false);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: no live worker for host gamma right now (hactl hosts); this waits for one to start',
    );
    await client.workflow.getHandle('backup:offline').terminate('test: no worker for gamma');
  });

  it('a missing source path fails at once, naming the path, without retries', async () => {
    const started = Date.now();
    const r = await cli(['backup', 'run', 'missing', '--wait'], false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `source path ${path.join(tmp.dir, 'does-not-exist')} does not exist on host alpha`,
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('refuses hostile archives placed in the destination with a matching manifest', async () => {
    const evilDest = dest('evil');
    mkdirSync(evilDest, { recursive: true });
    const work = path.join(tmp.dir, 'evil-work');
    mkdirSync(path.join(work, 'inner'), { recursive: true });
    writeFileSync(path.join(work, 'inner', 'payload'), 'pwned');
    symlinkSync('/etc', path.join(work, 'etc-link'));
    const cases: Array<{ id: string; tarArgs: string[]; why: RegExp }> = [
      {
        id: '20200101T000000Z-0000a1',
        tarArgs: ['-C', work, '--transform', 's,^inner,../../inner,', 'inner/payload'],
        why: /contains "\.\."/,
      },
      {
        id: '20200101T000000Z-0000a2',
        tarArgs: ['-P', path.join(work, 'inner', 'payload')],
        why: /absolute path/,
      },
      {
        id: '20200101T000000Z-0000a3',
        tarArgs: ['-C', work, 'etc-link'],
        why: /points to the absolute path "\/etc"/,
      },
      {
        id: '20200101T000000Z-0000a4',
        tarArgs: ['-C', work, 'etc-link', '--transform', 's,^inner,etc-link,', 'inner/payload'],
        why: /points to the absolute path|through the symlink/,
      },
    ];
    const to = path.join(tmp.dir, 'restore-evil');
    mkdirSync(to);
    writeFileSync(path.join(to, 'keep-me'), 'untouched');
    for (const c of cases) {
      const archive = path.join(evilDest, `${c.id}.tar.gz`);
      execFileSync('tar', ['-czf', archive, ...c.tarArgs]);
      const listing = execFileSync('tar', ['-tzvf', archive], { encoding: 'utf8' });
      const manifest: Manifest = {
        format: 'ha-orchestrator/backup-manifest@1',
        id: c.id,
        set: 'evil',
        host: 'alpha',
        createdAt: '2020-01-01T00:00:00.000Z',
        archive: `${c.id}.tar.gz`,
        archiveBytes: readFileSync(archive).length,
        archiveSha256: sha256File(archive),
        gzipLevel: 6,
        sources: [],
        commands: [],
        files: 1,
        dirs: 0,
        symlinks: 0,
        bytesIn: 5,
        warnings: [],
        entries: listing
          .trim()
          .split('\n')
          .map((l) => ({ path: l.split(/\s+/)[5]!, type: 'file' as const, mode: 0o644, mtime: 0, size: 5 })),
      };
      writeFileSync(path.join(evilDest, `${c.id}.manifest.json`), JSON.stringify(manifest));
      const r = await cli(['restore', 'evil', '--to', to, '--id', c.id, '--wait'], false);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(c.why);
      expect(r.stderr).toContain('nothing was written');
      expect(readdirSync(to)).toEqual(['keep-me']);
      expect(readdirSync(tmp.dir).filter((n) => n.includes('ha-restore'))).toEqual([]);
      expect(existsSync(path.join(tmp.dir, 'inner'))).toBe(false);
    }
  });

  it('status shows the newest verified backup, its age and the next run', async () => {
    const s = (
      await cli<{
        backups: Array<{
          set: string;
          newest: { id: string } | null;
          recoveryPointSeconds: number | null;
          nextRunAt: string | null;
        }>;
      }>(['status', '--json'])
    ).out;
    const demo = s.backups.find((b) => b.set === 'demo')!;
    expect(demo.newest?.id).toBe(results.at(-1)!.id);
    expect(demo.recoveryPointSeconds).toBeGreaterThanOrEqual(0);
    expect(demo.recoveryPointSeconds).toBeLessThan(600);
    expect(Date.parse(demo.nextRunAt!)).toBeGreaterThan(Date.now());
    expect(s.backups.find((b) => b.set === 'large')!.nextRunAt).toBeNull();
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/demo\s+alpha\s+\d{8}T\d{6}Z-[0-9a-f]{6}\s+\S+ ago/);
  });
});
