// The restore's guards and its commit point, in process on real files (and real mounts: these
// tests mount tmpfs and bind mounts, so they need root, which CI has): real paths, mount
// points, free space, the target's lock, cancellation mid-extraction, a failed swap.
// Over 400 lines on purpose: one real backup is made once and every guard and crash point is
// checked against it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createArchive } from '../../activities/backup/archive';
import { createBackupActivities } from '../../activities/backup';
import {
  abandonRestore,
  extractForRestore,
  restoreBackup,
  swapRestore,
  token,
} from '../../activities/backup/restore';
import type { RestoreDeps } from '../../activities/backup/restore';
import {
  checkSpace,
  checkTarget,
  isInside,
  mountPoints,
  targetTextError,
} from '../../activities/backup/restore-target';
import { recoverLeftovers, ScratchJournal } from '../../activities/backup/scratch-journal';
import type { Owner, ScratchEntry } from '../../activities/backup/scratch-journal';
import type { BackupSetSpec, Manifest, RestoreRequest } from '../../src/backup/model/types';
import { readManifest } from '../../activities/backup/store';
import { tempDir } from '../helpers';
import { snapshotTree } from '../helpers/tree';

const tmp = tempDir('guards');
const mounts: string[] = [];
const W = (...p: string[]): string => path.join(tmp.dir, ...p);

function mount(args: string[], dir: string): void {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', [...args, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`these tests mount tmpfs and bind mounts and need root: ${r.stderr}`);
  mounts.unshift(dir);
}

afterAll(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  tmp.cleanup();
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    return `${(err as ApplicationFailure).type}: ${(err as Error).message}`;
  }
  throw new Error('expected a refusal');
}

describe('restore target as text', () => {
  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['.', /"\." is not an absolute path/],
    ['restored', /not an absolute path.*never resolved against a working directory/],
    ['/srv/restore/../backups', /contains ".."; write the directory without it \(\/srv\/backups\)/],
    ['/', /root directory/],
    ['//', /root directory/],
    ['/./', /root directory/],
    ['/a\0b', /NUL/],
  ])('%j is refused', (text, re) => expect(targetTextError(text)).toMatch(re));

  it('an absolute path is fine', () => expect(targetTextError('/srv/restore/')).toBeUndefined());
});

describe('restore target guards on real paths', () => {
  const dest = W('dest');
  const src = W('live', 'app');
  const protect = {
    destinations: [{ set: 'other', path: W('other-dest') }],
    sources: [{ set: 'app', path: src }],
  };
  const check = (target: string, extra: { intoSource?: boolean; mountinfo?: string } = {}) =>
    checkTarget({ target, set: 'app', destination: dest, protect, ...extra });

  beforeAll(() => {
    mkdirSync(dest, { recursive: true });
    mkdirSync(src, { recursive: true });
    mkdirSync(W('other-dest'));
    mkdirSync(W('w'));
    symlinkSync(tmp.dir, W('w', 'link')); // w/link -> the temp dir: a symlinked parent
    symlinkSync('/', W('w', 'rootlink'));
    mkdirSync(W('plain'));
    symlinkSync(W('plain'), W('w', 'dirlink')); // a target that is itself a symlink
    writeFileSync(W('afile'), 'x');
  });

  it('a symlinked parent that leads to the backup destination is refused, naming both paths', () => {
    expect(refusal(() => check(W('w', 'link', 'dest')))).toBe(
      `RestoreTargetInvalid: restore target ${dest} is the backup destination of set app (${dest}) ` +
        `(${W('w', 'link', 'dest')} resolves to ${dest} through a symlink); restoring there would delete its backups`,
    );
  });

  it('a target that contains or lies inside any destination on the host is refused', () => {
    expect(refusal(() => check(tmp.dir))).toMatch(/contains the backup destination of set app/);
    expect(refusal(() => check(W('dest', 'sub')))).toMatch(/lies inside the backup destination of set app/);
    expect(refusal(() => check(W('other-dest')))).toMatch(/is the backup destination of set other/);
  });

  it('a backed-up source (is, inside, contains) is refused unless --into-source', () => {
    expect(refusal(() => check(src))).toMatch(/is a path that set app backs up .* pass --into-source/);
    expect(refusal(() => check(path.join(src, 'x')))).toMatch(/lies inside a path that set app backs up/);
    expect(refusal(() => check(W('live')))).toMatch(/contains a path that set app backs up/);
    expect(refusal(() => check(W('w', 'link', 'live', 'app')))).toMatch(/through a symlink/);
    expect(check(src, { intoSource: true }).real).toBe(src);
  });

  it('a symlink as the target itself, a file, and / through a symlink are refused', () => {
    expect(refusal(() => check(W('w', 'dirlink')))).toMatch(
      /is a symlink \(to .*plain\); give the real directory/,
    );
    expect(refusal(() => check(W('afile')))).toMatch(/exists and is not a directory/);
    expect(refusal(() => check(W('w', 'rootlink')))).toMatch(/is a symlink/);
    expect(refusal(() => check(`${W('w', 'rootlink')}/tmp/..`))).toMatch(/contains "\.\."/);
  });

  it('a target that does not exist yet resolves through its existing ancestors', () => {
    const r = check(W('w', 'link', 'new', 'deeper'));
    expect(r).toMatchObject({ real: W('new', 'deeper'), parent: W('new'), exists: false });
  });

  it('a tmpfs mount point is refused, suggesting a directory under it', () => {
    mount(['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs'], W('mnt', 'small'));
    expect(refusal(() => check(W('mnt', 'small')))).toBe(
      `RestoreTargetInvalid: restore target ${W('mnt', 'small')} is a mount point (tmpfs is mounted there); ` +
        `a mount point cannot be swapped — restore into a directory under it, e.g. ${W('mnt', 'small', 'restored')}`,
    );
    expect(check(W('mnt', 'small', 'restored')).real).toBe(W('mnt', 'small', 'restored'));
    // Reached through a symlink, too.
    symlinkSync(W('mnt'), W('w', 'mntlink'));
    expect(refusal(() => check(W('w', 'mntlink', 'small')))).toMatch(/is a mount point/);
  });

  it('a bind mount of the same filesystem (same device number) is refused too', () => {
    mkdirSync(W('bind-src'));
    mount(['--bind', W('bind-src')], W('bind-target'));
    expect(refusal(() => check(W('bind-target')))).toMatch(/is a mount point/);
  });

  it('a target that contains a mount point is refused: the swap would move another filesystem', () => {
    expect(refusal(() => check(W('mnt')))).toMatch(/contains the mount point .*mnt\/small/);
  });

  it('a name that merely starts with ".." is inside its parent: a target holding it is refused', () => {
    expect(isInside('/srv/..backups', '/srv')).toBe(true);
    expect(isInside('/srv/../backups', '/srv')).toBe(false);
    mkdirSync(W('dotted', '..backups'), { recursive: true });
    expect(
      refusal(() => checkTarget({ target: W('dotted'), set: 'app', destination: W('dotted', '..backups') })),
    ).toMatch(/contains the backup destination of set app/);
  });

  it("a target that is, holds or lies inside the worker's state directory is refused", () => {
    const stateDir = W('wstate', 'ha');
    mkdirSync(stateDir, { recursive: true });
    const c = (t: string) => checkTarget({ target: t, set: 'app', destination: dest, stateDir });
    expect(refusal(() => c(W('wstate')))).toMatch(/contains the worker's state directory .*journal/);
    expect(refusal(() => c(stateDir))).toMatch(/lies inside the worker's state directory/);
    expect(refusal(() => c(W('wstate', 'ha', 'x')))).toMatch(/lies inside the worker's state directory/);
    expect(c(W('wstate-other')).real).toBe(W('wstate-other'));
  });

  it('reads escaped mount points from mountinfo', () => {
    const f = W('mountinfo');
    writeFileSync(f, '36 35 98:0 / /mnt/with\\040space rw - ext4 /dev/x rw\n');
    expect(mountPoints(f)).toEqual([{ mount: '/mnt/with space', fstype: 'ext4' }]);
  });
});

// A real backup to restore: files of several sizes, made by the real archive and manifest steps.
async function makeBackup(name: string, bytes: number): Promise<{ spec: BackupSetSpec; m: Manifest }> {
  const src = W(`${name}-src`);
  mkdirSync(path.join(src, 'sub'), { recursive: true });
  for (let i = 0; i < 4; i++)
    writeFileSync(path.join(src, `part${i}.bin`), randomBytes(Math.floor(bytes / 4)));
  for (let i = 0; i < 50; i++) writeFileSync(path.join(src, 'sub', `f${i}.txt`), `file ${i}\n`);
  const spec: BackupSetSpec = {
    set: name,
    host: 'here',
    sources: [{ path: src, exclude: [] }],
    commands: [],
    destination: W(`${name}-dest`),
    gzipLevel: 1,
    timezone: 'UTC',
    retention: {},
    hooks: { pre: [], post: [] },
  };
  const id = '20260101T000000Z-abc123';
  const createdAt = '2026-01-01T00:00:00.000Z';
  const archive = await createArchive({ spec, id, createdAt });
  await createBackupActivities({ host: 'here', stateDir: W('state') }).backupWriteManifest({
    spec,
    id,
    createdAt,
    archive,
  });
  return { spec, m: readManifest(spec.destination, id) };
}

function request(spec: BackupSetSpec, target: string, extra: Partial<RestoreRequest> = {}): RestoreRequest {
  return {
    set: spec.set,
    id: '20260101T000000Z-abc123',
    destination: spec.destination,
    target,
    keepPrevious: true,
    allowExternalSymlinks: false,
    ...extra,
  };
}

const owner = (runId: string, attempt = 1): Owner => ({
  namespace: 'unit',
  workflowId: `restore:${runId}`,
  runId,
  attempt,
});

describe('restore steps', () => {
  let spec: BackupSetSpec;
  let m: Manifest;
  const state = W('state');
  const deps = (o: Owner, extra: Partial<RestoreDeps> = {}): RestoreDeps => ({
    host: 'here',
    stateDir: state,
    owner: o,
    isRunning: async (x) => x.runId.startsWith('live'),
    ...extra,
  });

  beforeAll(async () => {
    ({ spec, m } = await makeBackup('steps', 24 * 1024 * 1024));
  });

  it('not enough free space is refused before anything is written, with the bytes needed and free', () => {
    mount(['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs'], W('tiny'));
    expect(refusal(() => checkSpace(W('tiny'), m))).toMatch(
      new RegExp(
        `^RestoreNoSpace: not enough space in ${W('tiny')} to restore backup ${m.id}: it needs [\\d.]+ MiB \\(\\d+ bytes, 24.0 MiB of data plus filesystem overhead\\), 8.0 MiB \\(8388608 bytes\\) are free`,
      ),
    );
  });

  it('a disk that fills up during extraction: non-retryable, path and sizes named, staging removed', async () => {
    mount(['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs'], W('filling'));
    const target = W('filling', 'restored');
    let filled = false;
    const err = await extractForRestore(
      request(spec, target),
      deps(owner('live-fill'), {
        onProgress: (what) => {
          if (what !== 'extract' || filled) return;
          filled = true; // another writer takes the space the check saw
          spawnSync('sh', ['-c', `cat /dev/zero > '${W('filling', 'hog')}' 2>/dev/null`]);
        },
      }),
    ).catch((e: unknown) => e);
    expect(filled).toBe(true);
    expect(err).toMatchObject({ type: 'RestoreNoSpace', nonRetryable: true });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^${W('filling')} filled up while restoring backup ${m.id} \\(ENOSPC\\): it needs about [\\d.]+ MiB \\(\\d+ bytes\\), .* free now`,
      ),
    );
    expect(readdirSync(W('filling'))).toEqual(['hog']);
    expect(new ScratchJournal(state).read('x')).toBeUndefined();
  });

  it('cancellation mid-extraction stops it, removes the staging directory and leaves the target alone', async () => {
    const target = W('cancel-target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep.txt'), 'precious');
    const before = snapshotTree(target);
    const ac = new AbortController();
    const err = await extractForRestore(
      request(spec, target),
      deps(owner('live-cancel'), {
        onProgress: (what, bytes) => {
          if (what === 'extract' && bytes > 1 << 20) ac.abort(new Error('cancelled by the test'));
        },
        signal: ac.signal,
      }),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('cancelled by the test');
    expect(snapshotTree(target)).toEqual(before);
    expect(readdirSync(tmp.dir).filter((n) => n.includes('.ha-restore-'))).toEqual([]);
    expect(readdirSync(path.join(state, 'scratch'))).toEqual([]);
  });

  it('a second restore into the same target is refused while the first holds it, naming the first', async () => {
    const target = W('busy-target');
    const staged = await extractForRestore(request(spec, target), deps(owner('live-first')));
    const err = await extractForRestore(request(spec, target), deps(owner('live-second'))).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'RestoreInProgress', nonRetryable: true });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^a restore into ${target} is already in progress: workflow restore:live-first \\(run live-first\\), backup ${m.id} of set steps, extracted since`,
      ),
    );
    // Into another directory, the same backup restores at once.
    const other = await restoreBackup(request(spec, W('busy-other')), deps(owner('live-third')));
    expect(other.files).toBe(54);
    const r = await swapRestore(request(spec, target), staged, deps(owner('live-first')));
    expect(r).toMatchObject({ target, files: 54, previous: null });
  });

  it('a lock held by a run that ended is taken over; its staging directory is removed', async () => {
    const target = W('stale-target');
    const staged = await extractForRestore(request(spec, target), deps(owner('dead-run')));
    expect(existsSync(staged.staging)).toBe(true);
    const r = await restoreBackup(request(spec, target), deps(owner('live-next')));
    expect(r.files).toBe(54);
    expect(existsSync(staged.staging)).toBe(false);
  });

  it('cleanStale removes what a terminated run left, and keeps what a live run holds', async () => {
    const live = await extractForRestore(request(spec, W('t-live')), deps(owner('live-4')));
    const dead = await extractForRestore(request(spec, W('t-dead')), deps(owner('dead-2')));
    const journal = new ScratchJournal(state, async (o) => o.runId.startsWith('live'));
    const done = await journal.cleanStale();
    expect(done).toEqual([
      `restore ${m.id} of steps by workflow restore:dead-2 (run dead-2): removed ${dead.staging}`,
    ]);
    expect(existsSync(dead.staging)).toBe(false);
    expect(existsSync(live.staging)).toBe(true);
    await abandonRestore(request(spec, W('t-live')), deps(owner('live-4')));
    expect(existsSync(live.staging)).toBe(false);
  });

  it('a swap is refused when the run ended before it; the target stays as it was', async () => {
    const target = W('ended-target');
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep.txt'), 'precious');
    const staged = await extractForRestore(
      request(spec, target, { keepPrevious: false }),
      deps(owner('live-5')),
    );
    const err = await swapRestore(request(spec, target, { keepPrevious: false }), staged, {
      ...deps(owner('live-5')),
      stillWanted: async () => false,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'RestoreAbandoned' });
    expect(readFileSync(path.join(target, 'keep.txt'), 'utf8')).toBe('precious');
    expect(existsSync(staged.staging)).toBe(false);
  });

  it('a swap whose rename fails (the target became a mount point) rolls back and removes the staging tree', async () => {
    const target = W('swap-busy');
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep.txt'), 'precious');
    const staged = await extractForRestore(request(spec, target), deps(owner('live-6')));
    mount(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], target); // after the checks, before the swap
    const err = await swapRestore(request(spec, target), staged, deps(owner('live-6'))).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'RestoreSwapFailed', nonRetryable: true });
    expect((err as Error).message).toMatch(
      /is busy .*the target was left as it was and the staging directory was removed/,
    );
    expect(existsSync(staged.staging)).toBe(false);
    spawnSync('umount', [target]);
    mounts.splice(mounts.indexOf(target), 1);
    expect(readFileSync(path.join(target, 'keep.txt'), 'utf8')).toBe('precious');
  });

  it('a swap retried after it completed returns the same result', async () => {
    const target = W('retry-target');
    mkdirSync(target);
    const o = owner('live-7');
    const req = request(spec, target, { startedAt: '2026-11-27T10:00:00.000Z' });
    const staged = await extractForRestore(req, deps(o));
    const first = await swapRestore(req, staged, deps(o));
    expect(first.previous).toMatch(/\.ha-previous-20261127T100000Z-[0-9a-f]{8}$/);
    expect(await swapRestore(req, staged, deps(o))).toMatchObject({ target, previous: first.previous });
  });

  it('an interrupted swap (target moved aside, staged tree not yet in) is rolled back by recovery', async () => {
    const target = W('half-swapped');
    const previous = `${target}.ha-previous-x`;
    mkdirSync(previous);
    writeFileSync(path.join(previous, 'keep.txt'), 'precious');
    mkdirSync(W('.half-staging'));
    const e: ScratchEntry = {
      kind: 'restore',
      owner: owner('dead-8'),
      set: 'steps',
      id: m.id,
      target,
      staging: W('.half-staging'),
      previous,
      state: 'swapping',
      updatedAt: '',
    };
    expect(await recoverLeftovers(e)).toEqual([`rolled back: ${target} has its previous content again`]);
    expect(readFileSync(path.join(target, 'keep.txt'), 'utf8')).toBe('precious');
    expect(existsSync(W('.half-staging'))).toBe(false);
  });

  // A crash at each point of the swap, then the activity's retry: it resumes from the disk.
  const swapCrash = async (name: string, renames: 0 | 1 | 2, keepPrevious: boolean) => {
    const target = W(name);
    mkdirSync(target);
    writeFileSync(path.join(target, 'keep.txt'), 'precious');
    const o = owner(`live-${name}`);
    const req = request(spec, target, { startedAt: '2026-11-27T10:00:00.000Z', keepPrevious });
    const staged = await extractForRestore(req, deps(o));
    const journal = new ScratchJournal(state);
    const key = readdirSync(path.join(state, 'scratch')).find(
      (n) => journal.read(n.replace(/\.lock$/, ''))?.staging === staged.staging,
    )!;
    const k = key.replace(/\.lock$/, '');
    const previous = `${target}.ha-previous-20261127T100000Z-${token({ ...o, attempt: 0 })}`;
    // What the first attempt had done when its worker died.
    journal.write(k, { ...journal.read(k)!, state: 'swapping', previous });
    if (renames >= 1) renameSync(target, previous);
    if (renames >= 2) renameSync(staged.staging, target);
    const r = await swapRestore(req, staged, deps({ ...o, attempt: 2 }));
    return { target, previous, staged, r, lock: journal.read(k) };
  };

  it.each([0, 1, 2] as const)(
    'a swap retried after a crash with %i rename(s) done finishes it; nothing is lost',
    async (renames) => {
      const { target, previous, staged, r, lock } = await swapCrash(`crash-${renames}`, renames, true);
      expect(r).toMatchObject({ target, files: 54, previous });
      expect(readdirSync(path.join(target, spec.sources[0]!.path, 'sub'))).toHaveLength(50);
      expect(readFileSync(path.join(previous, 'keep.txt'), 'utf8')).toBe('precious');
      expect(existsSync(staged.staging)).toBe(false);
      expect(lock).toBeUndefined();
    },
  );

  it('a retried swap with --discard-previous deletes the previous content only once the new tree is in', async () => {
    const { target, previous, r } = await swapCrash('crash-discard', 1, false);
    expect(r).toMatchObject({ target, previous: null });
    expect(readdirSync(path.join(target, spec.sources[0]!.path, 'sub'))).toHaveLength(50);
    expect(existsSync(previous)).toBe(false);
  });

  it('an earlier attempt cannot release or overwrite the lock a later attempt took over', async () => {
    const target = W('zombie-target');
    const first = await extractForRestore(request(spec, target), deps(owner('live-z', 1)));
    const second = await extractForRestore(request(spec, target), deps(owner('live-z', 2)));
    expect(second.staging).not.toBe(first.staging);
    expect(existsSync(first.staging)).toBe(false); // the later attempt removed the earlier tree
    const journal = new ScratchJournal(state);
    const k = readdirSync(path.join(state, 'scratch'))
      .map((n) => n.replace(/\.lock$/, ''))
      .find((n) => journal.read(n)?.staging === second.staging)!;
    journal.release(k, first.staging); // what the earlier attempt does when it fails
    expect(journal.read(k)?.staging).toBe(second.staging);
    expect(() => journal.update(k, { ...journal.read(k)!, staging: first.staging })).toThrow(
      /was taken over \(now workflow restore:live-z \(run live-z\), attempt 2\)/,
    );
    const r = await swapRestore(request(spec, target), second, deps(owner('live-z', 2)));
    expect(r.files).toBe(54);
  });

  it('recovery keeps a finished swap and its previous content, and refuses to guess when the target came back', async () => {
    const base = (name: string): ScratchEntry => ({
      kind: 'restore',
      owner: owner('dead-9'),
      set: 'steps',
      id: m.id,
      target: W(name),
      staging: W(`.${name}-staging`),
      previous: W(`${name}.prev`),
      state: 'swapping',
      updatedAt: '',
    });
    const done = base('finished');
    mkdirSync(done.target!);
    mkdirSync(done.previous!);
    expect(await recoverLeftovers(done)).toEqual([
      `the restore into ${done.target} had finished; its previous content is kept in ${done.previous}`,
    ]);
    expect(existsSync(done.previous!)).toBe(true);

    const back = base('came-back');
    for (const d of [back.target!, back.previous!, back.staging]) mkdirSync(d);
    await expect(recoverLeftovers(back)).rejects.toThrow(
      /has been created again since; the restored tree is in/,
    );
    for (const d of [back.target!, back.previous!, back.staging]) expect(existsSync(d)).toBe(true);
  });
});
