// Parallel gzip: the stream is cut into fixed-size blocks, each compressed as its own gzip
// member on the libuv thread pool (so on every core), and the members are written in order.
// Concatenated members are valid gzip (RFC 1952 §2.2); gzip, GNU tar and zlib read them.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { inflateOnPool, releaseSlot, takeSlot } from './extract-pool';

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

export interface GunzipOptions {
  /** Limit on decompressed bytes per second (restores that must spare a busy disk). */
  maxBytesPerSec?: number;
  /** Members being inflated at once; default twice the cores. */
  inflight?: number;
  /** Every compressed byte, in order, as it is read (the archive's checksum, in the same pass). */
  onCompressed?: (chunk: Buffer) => void;
  /** Called before waiting for memory held by the consumer's pending work (send it now). */
  onStall?: () => void;
}

/** Sleeps as long as `bytesOut` is ahead of the rate limit. */
async function pace(bytesOut: number, started: number, maxBytesPerSec: number | undefined): Promise<void> {
  if (!maxBytesPerSec) return;
  const ahead = (bytesOut / maxBytesPerSec) * 1000 - (Date.now() - started);
  if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
}

/**
 * Decompresses a multi-member gzip file whose member sizes are known (the manifest's index), on
 * every core: members are read here in order, inflated by the extraction pool's threads several
 * at once, and handed to `onChunk` in order, as shared memory (which `onChunk` may await before
 * the next). A chunk's memory is reused once `onChunk` returns: whoever keeps a chunk beyond
 * that copies it (the extraction's file batches hold their slots instead). Falls back to gunzipFile when the sizes do not add up to the file.
 */
export async function gunzipMembers(
  file: string,
  memberSizes: readonly number[],
  onChunk: (chunk: Buffer) => void | Promise<void>,
  opts: GunzipOptions = {},
): Promise<number> {
  const inflight = opts.inflight ?? Math.max(2, os.availableParallelism() * 2);
  const fd = openSync(file, 'r');
  try {
    const total = memberSizes.reduce((a, b) => a + b, 0);
    if (memberSizes.length === 0 || total !== fstatSync(fd).size || memberSizes.some((n) => !(n > 0)))
      return await gunzipFile(file, onChunk, opts);
    let bytesOut = 0;
    const started = Date.now();
    let offset = 0;
    let next = 0;
    const queue: Array<{ slot: number; out: Promise<Buffer> }> = [];
    const start = (slot: number): void => {
      const size = memberSizes[next++]!;
      const buf = Buffer.allocUnsafeSlow(size); // its own memory (not zeroed), to move to a thread
      const member = buf.buffer;
      let got = 0;
      try {
        while (got < size) {
          const n = readSync(fd, buf, got, size - got, offset + got);
          if (n === 0) throw new Error(`${file} ended inside gzip member ${next} (at byte ${offset + got})`);
          got += n;
        }
      } catch (err) {
        releaseSlot(slot);
        throw err;
      }
      offset += size;
      opts.onCompressed?.(buf);
      const out = inflateOnPool(member, slot); // the compressed bytes move to the thread
      out.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
      queue.push({ slot, out });
    };
    // Members in flight, each in a slot of the pool's ring. With members in the queue a full
    // ring waits for them; with none, for the batches that hold the slots (sent first).
    const fill = async (): Promise<void> => {
      while (next < memberSizes.length && queue.length < inflight) {
        let slot = takeSlot(false);
        if (slot === null) {
          if (queue.length) return;
          opts.onStall?.();
          slot = await takeSlot(true);
        }
        start(slot);
      }
    };
    try {
      await fill();
      while (queue.length) {
        const { slot, out } = queue.shift()!;
        try {
          const chunk = await out;
          bytesOut += chunk.length;
          await onChunk(chunk);
        } finally {
          releaseSlot(slot);
        }
        await fill();
        await pace(bytesOut, started, opts.maxBytesPerSec);
      }
    } catch (err) {
      // Nothing reads the file after it is closed, and every slot goes back.
      for (const q of queue.splice(0)) {
        await q.out.catch(() => undefined);
        releaseSlot(q.slot);
      }
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
  onChunk: (chunk: Buffer) => void | Promise<void>,
  opts: GunzipOptions = {},
): Promise<number> {
  let bytesOut = 0;
  const started = Date.now();
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  if (opts.onCompressed) source.on('data', (c) => opts.onCompressed!(c as Buffer));
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
      let done: void | Promise<void>;
      try {
        done = onChunk(c);
      } catch (err) {
        fail(err as Error);
        return;
      }
      // The consumer (or the rate limit) holds the stream until it is ready for more.
      gunzip.pause();
      Promise.resolve(done)
        .then(() => pace(bytesOut, started, opts.maxBytesPerSec))
        .then(
          () => gunzip.resume(),
          (err: Error) => fail(err),
        );
    });
    gunzip.once('end', resolve);
    source.pipe(gunzip);
  });
  return bytesOut;
}
