// Restores back into the paths a backup was taken from (`hactl restore SET --in-place`): every
// source directory (and file) holds the backup's content again, its previous content kept aside; a source
// whose backup is damaged or hostile leaves every source untouched, with no staging left over.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BackupResult, Manifest, RestoreInPlaceResult } from '../../src/backup/model/types';
import { hactl, startWorker, tempDir, testEnv, writeConfig } from '../helpers';
import type { WorkerProcess } from '../helpers';
import { sha256File, snapshotTree } from '../helpers/tree';

const env = testEnv(__filename);
const tmp = tempDir('in-place');
const W = (...p: string[]): string => path.join(tmp.dir, ...p);
let alpha: WorkerProcess;

async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return hactl([...args, '--config', W('ha.yml')], { env: env.env, timeoutMs: 120_000 });
}

beforeAll(async () => {
  mkdirSync(W('app', 'data', 'sub'), { recursive: true });
  mkdirSync(W('app', 'conf'), { recursive: true });
  writeFileSync(W('app', 'data', 'orders.txt'), 'order-1\norder-2\n');
  writeFileSync(W('app', 'data', 'sub', 'deep.bin'), Buffer.alloc(70_000, 7));
  symlinkSync('orders.txt', W('app', 'data', 'latest'));
  writeFileSync(W('app', 'conf', 'app.ini'), 'mode=prod\n');
  writeFileSync(W('app', 'app.env'), 'SECRET_REF=${DB}\n', { mode: 0o640 });
  writeConfig(
    tmp.dir,
    'ha.yml',
    `version: 1
hosts: [{ name: alpha }]
backups:
  - { name: app, host: alpha, paths: [app/data, app/conf, app/app.env], destination: dest/app }
  - { name: evil, host: alpha, paths: [victim], destination: dest/evil }
`,
  );
  alpha = await startWorker(env, 'alpha');
});

afterAll(async () => {
  await alpha?.stop();
  tmp.cleanup();
});

it('every source holds the backup’s content again; the previous content is kept aside', async () => {
  const want = { data: snapshotTree(W('app', 'data')), conf: snapshotTree(W('app', 'conf')) };
  const b = await cli(['backup', 'run', 'app', '--wait', '--json']);
  expect(b.code).toBe(0);
  const backup = JSON.parse(b.stdout) as BackupResult;
  // Life goes on after the backup: changed, added and removed files.
  writeFileSync(W('app', 'data', 'orders.txt'), 'order-1\norder-2\norder-3 (lost)\n');
  writeFileSync(W('app', 'data', 'new.txt'), 'added later\n');
  rmSync(W('app', 'conf', 'app.ini'));
  writeFileSync(W('app', 'app.env'), 'SECRET_REF=${OTHER}\n');
  const bad = await cli(['restore', 'app', '--in-place', '--to', W('x')]);
  expect([bad.code, bad.stderr.trim()]).toEqual([2, 'error: give --to DIR or --in-place (one of them)']);
  const r = await cli(['restore', 'app', '--in-place', '--wait', '--json']);
  expect([r.code, r.code ? r.stderr : '']).toEqual([0, '']);
  const result = JSON.parse(r.stdout) as RestoreInPlaceResult;
  expect(result.id).toBe(backup.id);
  expect(result.restored.map((x) => x.target)).toEqual([
    W('app', 'data'),
    W('app', 'conf'),
    W('app', 'app.env'),
  ]);
  expect(snapshotTree(W('app', 'data'))).toEqual(want.data);
  expect(snapshotTree(W('app', 'conf'))).toEqual(want.conf);
  // A file source is staged beside itself as a file and renamed over it, mode and all.
  expect(readFileSync(W('app', 'app.env'), 'utf8')).toBe('SECRET_REF=${DB}\n');
  expect(statSync(W('app', 'app.env')).mode & 0o777).toBe(0o640);
  expect(readFileSync(result.restored[2]!.previous!, 'utf8')).toBe('SECRET_REF=${OTHER}\n');
  // What was there before is kept beside each source, whole.
  const previous = result.restored.map((x) => x.previous!);
  expect(previous.every((p) => p.startsWith(`${W('app')}/`) && p.includes('.ha-previous-'))).toBe(true);
  expect(readFileSync(path.join(previous[0]!, 'orders.txt'), 'utf8')).toContain('order-3 (lost)');
  expect(readFileSync(path.join(previous[0]!, 'new.txt'), 'utf8')).toBe('added later\n');
  expect(readdirSync(previous[1]!)).toEqual([]);
  expect(readdirSync(W('app')).filter((n) => n.includes('ha-restore'))).toEqual([]);
});

it('a hostile archive writes nothing: the source is untouched and no staging is left', async () => {
  mkdirSync(W('victim'), { recursive: true });
  writeFileSync(W('victim', 'keep-me'), 'untouched\n');
  // A "backup" of victim/ whose archive holds a link out of it, and a manifest that matches.
  const work = W('evil-work');
  const inside = path.join(work, W('victim').slice(1));
  mkdirSync(inside, { recursive: true });
  writeFileSync(path.join(inside, 'payload'), 'pwned');
  symlinkSync('/etc', path.join(inside, 'etc-link'));
  const id = '20200101T000000Z-0000b1';
  mkdirSync(W('dest', 'evil'), { recursive: true });
  const archive = W('dest', 'evil', `${id}.tar.gz`);
  execFileSync('tar', ['-czf', archive, '-C', work, W('victim').slice(1)]);
  const entries = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((p) => ({
      path: p,
      type: p.endsWith('/') ? ('dir' as const) : ('file' as const),
      mode: 0o644,
      mtime: 0,
      size: 5,
    }));
  const manifest: Manifest = {
    format: 'ha-orchestrator/backup-manifest@1',
    id,
    set: 'evil',
    host: 'alpha',
    createdAt: '2020-01-01T00:00:00.000Z',
    archive: `${id}.tar.gz`,
    archiveBytes: readFileSync(archive).length,
    archiveSha256: sha256File(archive),
    gzipLevel: 6,
    sources: [{ path: W('victim'), exclude: [] }],
    commands: [],
    files: 1,
    dirs: 1,
    symlinks: 1,
    bytesIn: 5,
    warnings: [],
    entries,
  };
  writeFileSync(W('dest', 'evil', `${id}.manifest.json`), JSON.stringify(manifest));
  const r = await cli(['restore', 'evil', '--in-place', '--id', id, '--wait']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/points to the absolute path "\/etc"/);
  expect(r.stderr).toContain('nothing was written');
  expect(readdirSync(W('victim'))).toEqual(['keep-me']);
  expect(readdirSync(tmp.dir).filter((n) => n.includes('ha-restore') || n.includes('ha-previous'))).toEqual(
    [],
  );
});
