// Parallel gzip: the stream is cut into fixed-size blocks, each compressed as its own gzip
// member on the libuv thread pool (so on every core), and the members are written in order.
// Concatenated members are valid gzip (RFC 1952 §2.2); gzip, GNU tar and zlib read them.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream, writeSync } from 'node:fs';
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
    this.opts.onWrite?.(this.bytesOut);
  }

  /** Flushes everything; returns the SHA-256 of the compressed stream. */
  async end(): Promise<{ bytesIn: number; bytesOut: number; sha256: string; members: number }> {
    if (this.fill > 0 || this.members + this.queue.length === 0) await this.submit();
    while (this.queue.length) await this.drainOne();
    return {
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      sha256: this.hash.digest('hex'),
      members: this.members,
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
