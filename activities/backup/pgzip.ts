// Parallel gzip: the stream is cut into fixed-size blocks, each compressed as its own gzip
// member on the libuv thread pool (so on every core), and the members are written in order.
// Concatenated members are valid gzip (RFC 1952 §2.2); gzip, GNU tar and zlib read them.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gzipAsync = promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gzip);

export const DEFAULT_BLOCK_SIZE = 1 << 20;

export interface GzipWriterOptions {
  level: number;
  blockSize?: number;
  /** Blocks compressing at once; default twice the cores, so that no core waits. */
  inflight?: number;
  /** Called with the bytes of each member as it is written (progress, heartbeats). */
  onWrite?: (bytesOut: number) => void;
}

export class ParallelGzipWriter {
  private block: Buffer;
  private fill = 0;
  private readonly queue: Array<Promise<Buffer>> = [];
  private readonly hash: Hash = createHash('sha256');
  private readonly blockSize: number;
  private readonly inflight: number;
  bytesIn = 0;
  bytesOut = 0;
  members = 0;
  /** Compressed size of each member, in order: where each starts, for parallel decompression. */
  readonly memberSizes: number[] = [];

  constructor(
    private readonly fd: number,
    private readonly opts: GzipWriterOptions,
  ) {
    this.blockSize = opts.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.inflight = opts.inflight ?? Math.max(2, os.availableParallelism() * 2);
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  /** Appends bytes; resolves once there is room for more (back-pressure). */
  async write(data: Buffer): Promise<void> {
    let pos = 0;
    while (pos < data.length) {
      const n = Math.min(data.length - pos, this.blockSize - this.fill);
      data.copy(this.block, this.fill, pos, pos + n);
      this.fill += n;
      pos += n;
      if (this.fill === this.blockSize) await this.submit();
    }
    this.bytesIn += data.length;
  }

  private async submit(): Promise<void> {
    const block = this.block.subarray(0, this.fill);
    this.queue.push(gzipAsync(block, { level: this.opts.level, chunkSize: 256 * 1024 }));
    this.block = Buffer.allocUnsafe(this.blockSize);
    this.fill = 0;
    while (this.queue.length >= this.inflight) await this.drainOne();
  }

  private async drainOne(): Promise<void> {
    const member = await this.queue.shift()!;
    let off = 0;
    while (off < member.length) off += writeSync(this.fd, member, off);
    this.hash.update(member);
    this.bytesOut += member.length;
    this.members++;
    this.memberSizes.push(member.length);
    this.opts.onWrite?.(this.bytesOut);
  }

  /** Flushes everything; returns the SHA-256 of the compressed stream. */
  async end(): Promise<{
    bytesIn: number;
    bytesOut: number;
    sha256: string;
    members: number;
    memberSizes: number[];
  }> {
    if (this.fill > 0 || this.members + this.queue.length === 0) await this.submit();
    while (this.queue.length) await this.drainOne();
    return {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      sha256: this.hash.digest('hex'),
      members: this.members,
      memberSizes: this.memberSizes,
    };
  }

  /** Stops without writing more; pending compressions are awaited and dropped. */
  async abort(): Promise<void> {
    const pending = this.queue.splice(0);
    await Promise.allSettled(pending);
  }
}

/** SHA-256 and size of a file, read in large blocks. */
export async function fileSha256(
  file: string,
  onProgress?: (bytes: number) => void,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return { sha256: hash.digest('hex'), bytes };
}

const gunzipAsync = promisify<zlib.InputType, zlib.ZlibOptions, Buffer>(zlib.gunzip);

/**
 * Decompresses a multi-member gzip file whose member sizes are known (the manifest's index), on
 * every core: members are read in order, decompressed on the thread pool several at once, and
 * handed to `onChunk` in order. Falls back to gunzipFile when the sizes do not add up to the file.
 */
export async function gunzipMembers(
  file: string,
  memberSizes: readonly number[],
  onChunk: (chunk: Buffer) => void,
  maxBytesPerSec?: number,
  inflight = Math.max(2, os.availableParallelism() * 2),
): Promise<number> {
  const fd = openSync(file, 'r');
  try {
    const total = memberSizes.reduce((a, b) => a + b, 0);
    if (memberSizes.length === 0 || total !== fstatSync(fd).size || memberSizes.some((n) => !(n > 0)))
      return await gunzipFile(file, onChunk, maxBytesPerSec);
    let bytesOut = 0;
    const started = Date.now();
    let offset = 0;
    let next = 0;
    const queue: Array<Promise<Buffer>> = [];
    const readMember = (): Promise<Buffer> => {
      const size = memberSizes[next++]!;
      const buf = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = readSync(fd, buf, got, size - got, offset + got);
        if (n === 0) throw new Error(`${file} ended inside gzip member ${next} (at byte ${offset + got})`);
        got += n;
      }
      offset += size;
      const p = gunzipAsync(buf, { chunkSize: 1 << 20 });
      p.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
      return p;
    };
    try {
      while (next < memberSizes.length && queue.length < inflight) queue.push(readMember());
      while (queue.length) {
        const out = await queue.shift()!;
        if (next < memberSizes.length) queue.push(readMember());
        bytesOut += out.length;
        onChunk(out);
        if (maxBytesPerSec) {
          const ahead = (bytesOut / maxBytesPerSec) * 1000 - (Date.now() - started);
          if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
        }
      }
    } catch (err) {
      await Promise.allSettled(queue); // nothing reads the file after it is closed
      throw err;
    }
    return bytesOut;
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams a (multi-member) gzip file through `onChunk`, decompressing on the thread pool with
 * large buffers (small ones make zlib several times slower). Resolves with the bytes produced.
 */
export async function gunzipFile(
  file: string,
  onChunk: (chunk: Buffer) => void,
  /** Limit on decompressed bytes per second (restores that must spare a busy disk). */
  maxBytesPerSec?: number,
): Promise<number> {
  let bytesOut = 0;
  const started = Date.now();
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      source.destroy();
      gunzip.destroy();
      reject(err);
    };
    source.once('error', fail);
    gunzip.once('error', fail);
    gunzip.on('data', (c: Buffer) => {
      bytesOut += c.length;
      try {
        onChunk(c);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (maxBytesPerSec) {
        const ahead = (bytesOut / maxBytesPerSec) * 1000 - (Date.now() - started);
        if (ahead > 1) {
          gunzip.pause();
          setTimeout(() => gunzip.resume(), ahead);
        }
      }
    });
    gunzip.once('end', resolve);
    source.pipe(gunzip);
  });
  return bytesOut;
}
