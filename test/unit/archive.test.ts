// The archive engine on real files, in process: format details, GNU tar in both directions,
// files that change or vanish while being read, excludes, and refused entries.
// Over 400 lines on purpose: one suite per subject (engine, format, hostile input) shares fixtures.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { createArchive } from '../../activities/backup/archive';
import { extractArchive, HostileEntry, safeRelative } from '../../activities/backup/extract';
import { compileExcludes } from '../../activities/backup/glob';
import { createBackupActivities } from '../../activities/backup';
import { listDestination } from '../../activities/backup/store';
import { encodeHeader, TarParser } from '../../activities/backup/tar';
import type { TarEntry } from '../../activities/backup/tar';
import type { BackupSetSpec } from '../../src/backup/model/types';
import { tempDir } from '../helpers';
import { snapshotTree } from '../helpers/tree';

const tmp = tempDir('archive');
afterAll(() => tmp.cleanup());
let n = 0;

function spec(src: string, extra: Partial<BackupSetSpec> = {}): BackupSetSpec {
  return {
    set: 'unit',
    host: 'here',
    sources: [{ path: src, exclude: [] }],
    commands: [],
    destination: path.join(tmp.dir, `dest-${++n}`),
    gzipLevel: 6,
    timezone: 'UTC',
    retention: {},
    hooks: { pre: [], post: [] },
    ...extra,
  };
}

const ID = '20260101T000000Z-abc123';

async function archive(s: BackupSetSpec, hooks: { beforeFile?: (p: string) => void } = {}) {
  const r = await createArchive({ spec: s, id: ID, createdAt: '2026-01-01T00:00:00.000Z', ...hooks });
  // The finished archive waits under its attempt's name until the manifest step commits it.
  return { ...r, file: path.join(s.destination, r.staged) };
}

function makeTree(root: string): void {
  mkdirSync(path.join(root, 'dir with space', 'nested'), { recursive: true });
  mkdirSync(path.join(root, 'empty'));
  writeFileSync(path.join(root, 'dir with space', 'nested', 'naïve café ☕.txt'), 'unicode\n');
  const long = 'x'.repeat(60);
  mkdirSync(path.join(root, long, long, long), { recursive: true });
  writeFileSync(path.join(root, long, long, long, `${'y'.repeat(120)}.dat`), 'deep and long\n');
  writeFileSync(path.join(root, 'exec.sh'), '#!/bin/sh\necho hi\n');
  chmodSync(path.join(root, 'exec.sh'), 0o750);
  writeFileSync(path.join(root, 'private'), 'secret');
  chmodSync(path.join(root, 'private'), 0o600);
  symlinkSync('exec.sh', path.join(root, 'link-to-exec'));
  symlinkSync('dir with space/nested', path.join(root, 'link-to-dir'));
  linkSync(path.join(root, 'exec.sh'), path.join(root, 'hardlink'));
  writeFileSync(path.join(root, 'zero-bytes'), '');
  writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  utimesSync(path.join(root, 'private'), 1_000_000_000, 1_000_000_000);
  chmodSync(path.join(root, 'empty'), 0o700);
}

describe('archive engine', () => {
  const src = path.join(tmp.dir, 'src');
  beforeAll(() => makeTree(src));

  it('round-trips names, modes, mtimes, symlinks, hard links and empty directories', async () => {
    const s = spec(src);
    const a = await archive(s);
    expect(a.files).toBe(6); // the hard link is its own entry type
    expect(a.symlinks).toBe(2);
    const out = path.join(tmp.dir, 'out1');
    mkdirSync(out);
    await extractArchive({ archive: a.file, into: out });
    const restored = snapshotTree(path.join(out, src.slice(1)));
    expect(restored).toEqual(snapshotTree(src));
  });

  it('writes archives that GNU tar lists and extracts on its own', async () => {
    const a = await archive(spec(src));
    execFileSync('gzip', ['-t', a.file]);
    const listing = execFileSync('tar', ['-tzf', a.file], { encoding: 'utf8' });
    expect(listing).toContain('naïve café ☕.txt');
    expect(listing).toContain(`${'y'.repeat(120)}.dat`);
    const out = path.join(tmp.dir, 'out-gnu');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', a.file, '-C', out]);
    expect(snapshotTree(path.join(out, src.slice(1)))).toEqual(snapshotTree(src));
  });

  it('reads archives written by GNU tar (gnu and pax formats)', async () => {
    for (const format of ['gnu', 'pax']) {
      const file = path.join(tmp.dir, `gnu-${format}.tar.gz`);
      execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', '/', src.slice(1)]);
      const out = path.join(tmp.dir, `from-gnu-${format}`);
      mkdirSync(out);
      await extractArchive({ archive: file, into: out });
      expect(snapshotTree(path.join(out, src.slice(1)))).toEqual(snapshotTree(src));
    }
  });

  it('records a manifest entry with SHA-256 for every file', async () => {
    const s = spec(src);
    const r = await archive(s);
    const sidecar = readdirSync(s.destination).find((f) => f.endsWith('.entries.partial'))!;
    const side = JSON.parse(readFileSync(path.join(s.destination, sidecar), 'utf8')) as {
      entries: Array<{ path: string; type: string; sha256?: string; target?: string }>;
      gzipMembers: number[];
    };
    const { entries } = side;
    // And where each gzip member starts, for restores that decompress on every core.
    expect(side.gzipMembers.reduce((a, b) => a + b, 0)).toBe(statSync(r.file).size);
    const exec = entries.find((e) => e.path.endsWith('/exec.sh'))!;
    expect(exec.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(path.join(src, 'exec.sh')))
        .digest('hex'),
    );
    expect(entries.find((e) => e.path.endsWith('/hardlink'))).toMatchObject({ type: 'hardlink' });
    expect(entries.find((e) => e.path.endsWith('/link-to-exec'))).toMatchObject({
      type: 'symlink',
      target: 'exec.sh',
    });
    expect(entries.filter((e) => e.type === 'dir').some((e) => e.path.endsWith('/empty/'))).toBe(true);
  });

  it('applies exclude patterns', async () => {
    const s = spec(src);
    s.sources[0]!.exclude = ['*.bin', 'empty/', 'dir with space/**/*.txt'];
    const a = await archive(s);
    const listing = execFileSync('tar', ['-tzf', a.file], { encoding: 'utf8' });
    expect(listing).not.toContain('big.bin');
    expect(listing).not.toContain('/empty/');
    expect(listing).not.toContain('café');
    expect(listing).toContain('dir with space/nested/');
    const m = compileExcludes(['cache/', '/top.log', 'a/*/c']);
    expect(m.excluded('x/cache', true)).toBe(true);
    expect(m.excluded('x/cache', false)).toBe(false);
    expect(m.excluded('top.log', false)).toBe(true);
    expect(m.excluded('sub/top.log', false)).toBe(false);
    expect(m.excluded('a/b/c', false)).toBe(true);
    expect(m.excluded('a/b/d/c', false)).toBe(false);
  });

  it('finishes when files change, grow, shrink or vanish during the backup, and lists them as warnings', async () => {
    const live = path.join(tmp.dir, 'live');
    mkdirSync(live);
    const big = 'x'.repeat(3 * 1024 * 1024); // several read blocks, so that we can act mid-file
    for (const f of ['a-grows', 'b-shrinks', 'c-vanishes', 'd-changes', 'e-stable'])
      writeFileSync(path.join(live, f), big);
    const done = new Set<string>();
    const s = spec(live);
    const r = await createArchive({
      spec: s,
      id: ID,
      createdAt: '2026-01-01T00:00:00.000Z',
      progressEveryMs: 0,
      beforeFile: (p) => {
        if (p.endsWith('c-vanishes')) unlinkSync(p); // gone between the directory listing and open
      },
      onProgress: (p) => {
        // Called between read blocks of the file being archived: the worst moment.
        const f = p.current;
        if (p.phase !== 'files' || done.has(f)) return;
        if (f.endsWith('a-grows')) appendFileSync(f, 'more');
        else if (f.endsWith('b-shrinks')) truncateSync(f, 1000);
        else if (f.endsWith('d-changes')) writeFileSync(f, 'y'.repeat(big.length));
        else return;
        done.add(f);
      },
    });
    const w = r.warnings.join('\n');
    expect(w).toMatch(/file grew while being read \(first 3145728 bytes kept\): .*a-grows/);
    expect(w).toMatch(/file shrank while being read \(padded with zeros\): .*b-shrinks/);
    expect(w).toMatch(/vanished before it was read: .*c-vanishes/);
    expect(w).toMatch(/file changed while being read: .*d-changes/);
    expect(w).not.toMatch(/e-stable/);
    expect(r.files).toBe(4);
    // Still a valid archive: every header promised exactly the bytes that follow it.
    const out = path.join(tmp.dir, 'live-out');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', path.join(s.destination, r.staged), '-C', out]);
    expect(readFileSync(path.join(out, live.slice(1), 'b-shrinks')).length).toBe(big.length);
  });

  it('fails with SourceMissing naming the path, and leaves nothing behind', async () => {
    const s = spec(path.join(tmp.dir, 'no-such-dir'));
    await expect(archive(s)).rejects.toMatchObject({
      type: 'SourceMissing',
      nonRetryable: true,
      message: expect.stringContaining(path.join(tmp.dir, 'no-such-dir')),
    });
    expect(readdirSync(s.destination)).toEqual([]);
  });

  it('stores command output under commands/ and fails cleanly when a command fails', async () => {
    const s = spec(src, {
      commands: [
        {
          name: 'dump.sql',
          argv: ['sh', '-c', 'echo "create table t;"; echo $SECRET_X'],
          timeoutMs: 10_000,
          env: {},
          shell: false,
        },
      ],
    });
    const r = await createArchive({
      spec: s,
      id: ID,
      createdAt: '2026-01-01T00:00:00.000Z',
      env: { ...process.env, SECRET_X: 's3cret' },
    });
    const out = path.join(tmp.dir, 'cmd-out');
    mkdirSync(out);
    execFileSync('tar', ['-xzf', path.join(s.destination, r.staged), '-C', out, 'commands/dump.sql']);
    expect(readFileSync(path.join(out, 'commands', 'dump.sql'), 'utf8')).toBe('create table t;\ns3cret\n');

    const bad = spec(src, {
      commands: [
        { name: 'x', argv: ['sh', '-c', 'echo oops >&2; exit 3'], timeoutMs: 10_000, env: {}, shell: false },
      ],
    });
    await expect(archive(bad)).rejects.toMatchObject({
      type: 'CommandFailed',
      message: expect.stringContaining('exited with status 3: oops'),
    });
    expect(readdirSync(bad.destination)).toEqual([]);
    const missing = spec(src, {
      commands: [{ name: 'x', argv: ['no-such-program-xyz'], timeoutMs: 10_000, env: {}, shell: false }],
    });
    await expect(archive(missing)).rejects.toMatchObject({ type: 'CommandNotFound', nonRetryable: true });
    const secret = spec(src, {
      commands: [
        { name: 'x', argv: ['echo', '${NOT_SET_ANYWHERE}'], timeoutMs: 10_000, env: {}, shell: false },
      ],
    });
    await expect(archive(secret)).rejects.toMatchObject({
      type: 'SecretMissing',
      message: expect.stringContaining('NOT_SET_ANYWHERE'),
    });
    const slow = spec(src, {
      commands: [{ name: 'x', argv: ['sleep', '30'], timeoutMs: 1000, env: {}, shell: false }],
    });
    await expect(archive(slow)).rejects.toMatchObject({ type: 'CommandTimeout' });
  });

  it('the manifest step is idempotent: a retry after it succeeded returns the same backup', async () => {
    const s = spec(src);
    const a = await createArchive({ spec: s, id: ID, createdAt: '2026-01-01T00:00:00.000Z' });
    const acts = createBackupActivities({ host: 'here' });
    const input = { spec: s, id: ID, createdAt: '2026-01-01T00:00:00.000Z', archive: a };
    const first = await acts.backupWriteManifest(input);
    expect(await acts.backupWriteManifest(input)).toEqual(first);
    expect(listDestination(s.destination).backups.map((b) => b.id)).toEqual([ID]);
    expect(listDestination(s.destination).partials).toEqual([]);
  });

  it('writes valid multi-member gzip that gzip, GNU tar and zlib read', async () => {
    const s = spec(src);
    const a = await archive(s);
    // 3 MiB of data in 1 MiB blocks: several members.
    const raw = readFileSync(a.file);
    let members = 0;
    for (let i = 0; i + 2 < raw.length; i++)
      if (raw[i] === 0x1f && raw[i + 1] === 0x8b && raw[i + 2] === 8) members++;
    expect(members).toBeGreaterThan(1);
    execFileSync('gzip', ['-t', a.file]);
    expect(
      execFileSync('sh', ['-c', `gzip -dc '${a.file}' | tar -tf - | wc -l`], { encoding: 'utf8' }).trim(),
    ).not.toBe('0');
  });
});

describe('tar format', () => {
  const entry = (p: string, extra: Partial<TarEntry> = {}): TarEntry => ({
    path: p,
    type: 'file',
    flag: '0',
    mode: 0o644,
    uid: 1000,
    gid: 1000,
    size: 0,
    mtime: 1_700_000_000,
    linkpath: '',
    uname: '',
    gname: '',
    ...extra,
  });

  function parse(buf: Buffer): TarEntry[] {
    const seen: TarEntry[] = [];
    const p = new TarParser({ entry: (e) => void seen.push(e), data: () => undefined, end: () => undefined });
    p.write(Buffer.concat([buf, Buffer.alloc(1024)]));
    p.finish();
    return seen;
  }

  it.each([
    ['short', 'a/b.txt'],
    ['exactly 100', 'd'.repeat(99) + 'e'],
    ['ustar prefix split', `${'p'.repeat(120)}/${'n'.repeat(90)}`],
    ['pax: longer than 256', 'q/'.repeat(200) + 'end'],
    ['pax: non-ASCII and long', `${'ü'.repeat(80)}/file`],
    ['non-ASCII short', 'é/ñ.txt'],
  ])('encodes and parses %s names', (_name, p) => {
    const [e] = parse(encodeHeader(entry(p)));
    expect(e!.path).toBe(p);
  });

  it('encodes sizes of 8 GiB and more through pax', () => {
    const size = 9 * 1024 ** 3;
    const buf = encodeHeader(entry('huge', { size }));
    const p = new TarParser({
      entry: (e) => expect(e.size).toBe(size),
      data: () => undefined,
      end: () => undefined,
    });
    p.write(buf);
    expect(p.entries).toBe(1);
  });

  it('detects corrupt headers and truncation', () => {
    const h = encodeHeader(entry('x', { size: 5 }));
    h[10] = h[10]! ^ 0xff;
    expect(() =>
      new TarParser({ entry: () => undefined, data: () => undefined, end: () => undefined }).write(h),
    ).toThrow(/checksum/);
    const good = encodeHeader(entry('x', { size: 5 }));
    const p = new TarParser({ entry: () => undefined, data: () => undefined, end: () => undefined });
    p.write(Buffer.concat([good, Buffer.from('ab')]));
    expect(() => p.finish()).toThrow(/truncated/);
  });

  it.each([
    ['../etc/passwd', /contains "\.\."/],
    ['a/../../b', /contains "\.\."/],
    ['/etc/passwd', /absolute path/],
    ['ok/\0bad', /NUL/],
    ['./', /empty path/],
  ])('refuses the entry name %j', (name, why) => {
    expect(() => safeRelative(name)).toThrow(HostileEntry);
    expect(() => safeRelative(name)).toThrow(why);
  });

  it('normalises harmless names', () => {
    expect(safeRelative('./a//b/./c/')).toBe('a/b/c');
  });
});

describe('hostile archives (made with GNU tar)', () => {
  const evil = path.join(tmp.dir, 'evil');
  beforeAll(() => mkdirSync(evil, { recursive: true }));

  async function refuses(makeArgs: (file: string) => void, why: RegExp): Promise<void> {
    const file = path.join(evil, `e${++n}.tar.gz`);
    makeArgs(file);
    const out = path.join(evil, `out${n}`);
    mkdirSync(out);
    await expect(extractArchive({ archive: file, into: out })).rejects.toThrow(why);
    // Nothing escaped: the parent of the extraction directory holds only what we put there.
    expect(existsSync(path.join(evil, 'pwned'))).toBe(false);
    rmSync(out, { recursive: true, force: true });
  }

  it('refuses ".." entries', async () => {
    await refuses((f) => {
      writeFileSync(path.join(evil, 'pwned'), 'x');
      execFileSync('tar', ['-czf', f, '-C', evil, '--transform', 's,^,../,', 'pwned'], { cwd: evil });
      unlinkSync(path.join(evil, 'pwned'));
    }, /contains "\.\."/);
  });

  it('refuses absolute paths', async () => {
    await refuses((f) => {
      writeFileSync(path.join(evil, 'abs'), 'x');
      execFileSync('tar', ['-czPf', f, path.join(evil, 'abs')]);
    }, /absolute path/);
  });

  it('refuses a symlink that escapes, and writing through it', async () => {
    const work = path.join(evil, 'sym');
    mkdirSync(work);
    symlinkSync(evil, path.join(work, 'out'));
    await refuses((f) => execFileSync('tar', ['-czf', f, '-C', work, 'out']), /points to the absolute path/);
    symlinkSync('../..', path.join(work, 'up'));
    await refuses((f) => execFileSync('tar', ['-czf', f, '-C', work, 'up']), /points outside the target/);
  });

  it('refuses a file written through an earlier symlink even when links are allowed', async () => {
    const work = path.join(evil, 'through');
    mkdirSync(path.join(work, 'stage2'), { recursive: true });
    symlinkSync(evil, path.join(work, 'door'));
    writeFileSync(path.join(work, 'stage2', 'pwned'), 'x');
    const file = path.join(evil, 'through.tar.gz');
    execFileSync('tar', ['-czf', file, '-C', work, 'door', '--transform', 's,^stage2,door,', 'stage2/pwned']);
    const out = path.join(evil, 'through-out');
    mkdirSync(out);
    await expect(extractArchive({ archive: file, into: out, allowExternalSymlinks: true })).rejects.toThrow(
      /through the symlink "door"/,
    );
    expect(existsSync(path.join(evil, 'pwned'))).toBe(false);
  });

  it('refuses an entry that would replace a directory', async () => {
    const work = path.join(evil, 'replace');
    mkdirSync(path.join(work, 'x', 'd'), { recursive: true });
    writeFileSync(path.join(work, 'x', 'd', 'f'), 'inside');
    writeFileSync(path.join(work, 'plain'), 'file');
    await refuses(
      (f) => execFileSync('tar', ['-czf', f, '-C', work, 'x/d/f', '--transform', 's,^plain$,x/d,', 'plain']),
      /would replace a directory/,
    );
  });

  it('refuses hard links that escape and device files', async () => {
    const work = path.join(evil, 'hl');
    mkdirSync(work);
    writeFileSync(path.join(work, 'a'), 'x');
    linkSync(path.join(work, 'a'), path.join(work, 'b'));
    await refuses(
      (f) => execFileSync('tar', ['-czf', f, '-C', work, '--transform', 's,^a$,../a,', 'a', 'b']),
      /"\.\."/,
    );
    await refuses((f) => execFileSync('tar', ['-czf', f, '-C', '/dev', 'null']), /character device/);
  });
});
