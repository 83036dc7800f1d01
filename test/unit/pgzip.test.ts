// Parallel gzip both ways: the writer records each member's size, and a reader that knows them
// decompresses on every core and hands the bytes on in order; sizes that do not add up fall back
// to one stream; a consumer that fails stops it cleanly.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { gunzipFile, gunzipMembers, ParallelGzipWriter } from '../../activities/backup/pgzip';

let dir: string;
let file: string;
let data: Buffer;
let sizes: number[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ha-pgzip-'));
  file = path.join(dir, 'a.gz');
  // Compressible and not: text with random runs, 5.3 blocks of 64 KiB.
  data = Buffer.concat(
    Array.from({ length: 350 }, (_, i) =>
      Buffer.from(`line ${i} ${'x'.repeat(i % 97)} ${Math.sin(i).toString(36).repeat(20)}\n`.repeat(10)),
    ),
  );
  const fd = openSync(file, 'w');
  const w = new ParallelGzipWriter(fd, { level: 6, blockSize: 64 * 1024 });
  await w.write(data);
  const done = await w.end();
  closeSync(fd);
  sizes = done.memberSizes;
  expect(done.members).toBe(sizes.length);
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(done.bytesOut);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = async (read: (on: (c: Buffer) => void) => Promise<number>): Promise<Buffer> => {
  const parts: Buffer[] = [];
  // A chunk is valid while the callback runs (its memory is reused after): keep a copy.
  const n = await read((c) => void parts.push(Buffer.from(c)));
  const out = Buffer.concat(parts);
  expect(n).toBe(out.length);
  return out;
};

describe('parallel gzip', () => {
  it('writes members that plain gunzip reads, and records their sizes', () => {
    expect(sizes.length).toBe(Math.ceil(data.length / (64 * 1024)));
    expect(gunzipSync(readFileSync(file)).equals(data)).toBe(true);
  });

  it('reads the members in parallel, in order, identical to one stream', async () => {
    const parallel = await collect((on) => gunzipMembers(file, sizes, on, { inflight: 3 }));
    expect(parallel.equals(data)).toBe(true);
    expect((await collect((on) => gunzipFile(file, on))).equals(data)).toBe(true);
  });

  it('sizes that do not add up to the file: one stream, same bytes', async () => {
    const wrong = [...sizes.slice(0, -1), sizes.at(-1)! + 1];
    expect((await collect((on) => gunzipMembers(file, wrong, on))).equals(data)).toBe(true);
  });

  it('a member cut in the wrong place is an error, not garbage', async () => {
    const shifted = [sizes[0]! - 1, sizes[1]! + 1, ...sizes.slice(2)];
    await expect(collect((on) => gunzipMembers(file, shifted, on))).rejects.toThrow();
  });

  it('a consumer that throws stops the reading with its error', async () => {
    let calls = 0;
    await expect(
      gunzipMembers(file, sizes, () => {
        if (++calls === 2) throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    expect(calls).toBe(2);
  });

  it('a truncated file: falls back to one stream, which reports the damage', async () => {
    const cut = path.join(dir, 'cut.gz');
    writeFileSync(cut, readFileSync(file).subarray(0, 1000));
    await expect(collect((on) => gunzipMembers(cut, sizes, on))).rejects.toThrow();
  });

  it('a member that inflates past 64 MiB is refused, not held in memory', async () => {
    const bomb = path.join(dir, 'bomb.gz');
    writeFileSync(bomb, gzipSync(Buffer.alloc(65 * 1024 * 1024)));
    const size = readFileSync(bomb).length;
    await expect(gunzipMembers(bomb, [size], () => undefined)).rejects.toThrow(
      'a gzip member inflates to more than 64 MiB (ours hold 1 MiB): a damaged or hostile archive',
    );
  });

  it('a member with optional header fields (another writer) still inflates, through gunzip', async () => {
    const named = path.join(dir, 'named.gz');
    const plain = gzipSync(data.subarray(0, 100_000));
    // FLG.FCOMMENT with a comment after the 10-byte header, as gzip -c with a comment writes.
    const withComment = Buffer.concat([
      plain.subarray(0, 3),
      Buffer.from([0x10]),
      plain.subarray(4, 10),
      Buffer.from('hi\0'),
      plain.subarray(10),
    ]);
    writeFileSync(named, withComment);
    const out = await collect((on) => gunzipMembers(named, [withComment.length], on));
    expect(out.equals(data.subarray(0, 100_000))).toBe(true);
  });

  it('many readers at once share the ring of slots and each gets its own bytes', async () => {
    const outs = await Promise.all(
      Array.from({ length: 6 }, () => collect((on) => gunzipMembers(file, sizes, on, { inflight: 4 }))),
    );
    for (const o of outs) expect(o.equals(data)).toBe(true);
  });
});
