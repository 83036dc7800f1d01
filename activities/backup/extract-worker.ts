// A thread of the extraction pool (extract-pool.ts): it inflates gzip members and writes and
// checks files, so that the main thread only reads the archive, parses tar headers and decides
// what is safe. Node built-ins only: this file runs in a worker thread of its own.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import {
  closeSync,
  constants as fsc,
  fchmodSync,
  fchownSync,
  futimesSync,
  openSync,
  writeSync,
} from 'node:fs';
import { parentPort } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import type { OpBatch, ToWorker, WorkerError } from './extract-protocol';
import { MAX_MEMBER_OUTPUT, OP } from './extract-protocol';

interface OpenFile {
  fd: number;
  hash: Hash;
  /** Its path in the archive, for messages. */
  where: string;
}

/** Per extraction (several may run at once in one process): its open files and first error. */
const sessions = new Map<number, { files: Map<number, OpenFile>; failed: WorkerError | null }>();

function session(id: number) {
  let s = sessions.get(id);
  if (!s) sessions.set(id, (s = { files: new Map(), failed: null }));
  return s;
}

function asError(err: unknown): WorkerError {
  const e = err as NodeJS.ErrnoException;
  return { kind: 'io', message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) };
}

/**
 * One gzip member to its bytes. Members whose header carries no optional fields (ours) are
 * inflated raw into one buffer of exactly the size their trailer states — the CRC is left to
 * the archive's SHA-256, which every reader checks; others go through gunzip.
 */
function inflateMember(data: Buffer): Buffer {
  try {
    return inflateOne(data);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
    throw Object.assign(
      new Error(
        `a gzip member inflates to more than ${MAX_MEMBER_OUTPUT / 2 ** 20} MiB (ours hold 1 MiB): a damaged or hostile archive`,
      ),
      { code: 'Z_DATA_ERROR' },
    );
  }
}

function inflateOne(data: Buffer): Buffer {
  const isize = data.length >= 18 ? data.readUInt32LE(data.length - 4) : -1;
  const plain = data[0] === 0x1f && data[1] === 0x8b && data[2] === 8 && data[3] === 0;
  if (plain && isize >= 0 && isize <= MAX_MEMBER_OUTPUT) {
    const out = zlib.inflateRawSync(data.subarray(10, data.length - 8), {
      chunkSize: Math.max(64 * 1024, isize + 64),
      maxOutputLength: MAX_MEMBER_OUTPUT,
    });
    if (out.length !== isize) {
      throw Object.assign(
        new Error(`gzip member inflates to ${out.length} bytes, its trailer says ${isize}`),
        { code: 'Z_DATA_ERROR' },
      );
    }
    return out;
  }
  return zlib.gunzipSync(data, { chunkSize: 1 << 20, maxOutputLength: MAX_MEMBER_OUTPUT });
}

function runOps(sid: number, batch: OpBatch): number {
  const s = session(sid);
  const { nums, strs, members } = batch;
  let bytes = 0;
  let i = 0;
  while (i < nums.length && !s.failed) {
    const op = nums[i]!;
    const id = nums[i + 1]!;
    try {
      if (op === OP.open) {
        const file = nums[i + 2]! < 0 ? null : strs[nums[i + 2]!]!;
        const where = strs[nums[i + 3]!]!;
        i += 4;
        const fd =
          file === null
            ? -1
            : openSync(file, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        s.files.set(id, { fd, hash: createHash('sha256'), where });
      } else if (op === OP.data) {
        const view = new Uint8Array(member(members[nums[i + 2]!]!), nums[i + 3], nums[i + 4]);
        i += 5;
        const f = s.files.get(id)!;
        f.hash.update(view);
        if (f.fd >= 0) {
          let off = 0;
          while (off < view.length) off += writeSync(f.fd, view, off);
        }
        bytes += view.length;
      } else {
        const want = nums[i + 2]! < 0 ? null : strs[nums[i + 2]!]!;
        const [mode, mtime, uid, gid] = [nums[i + 3]!, nums[i + 4]!, nums[i + 5]!, nums[i + 6]!];
        i += 7;
        const f = s.files.get(id)!;
        s.files.delete(id);
        try {
          if (want !== null && f.hash.digest('hex') !== want) {
            s.failed = {
              kind: 'mismatch',
              message: `file "${f.where}" does not match its SHA-256 in the manifest`,
            };
            break;
          }
          if (f.fd >= 0) {
            if (uid >= 0) fchownSync(f.fd, uid, gid);
            fchmodSync(f.fd, mode & 0o7777);
            futimesSync(f.fd, mtime, mtime);
          }
        } finally {
          if (f.fd >= 0) closeSync(f.fd);
        }
      }
    } catch (err) {
      s.failed = asError(err);
    }
  }
  return bytes;
}

function reset(sid: number): void {
  const s = sessions.get(sid);
  if (!s) return;
  for (const f of s.files.values()) {
    try {
      if (f.fd >= 0) closeSync(f.fd);
    } catch {
      /* already closed */
    }
  }
  sessions.delete(sid);
}

/** The pool's ring of shared slots, where inflated members go (sent once, at the start). */
let slots: SharedArrayBuffer[] = [];

function member(ref: number | SharedArrayBuffer): SharedArrayBuffer {
  return typeof ref === 'number' ? slots[ref]! : ref;
}

parentPort!.on('message', (m: ToWorker) => {
  if (m.t === 'slots') {
    slots = m.slots;
  } else if (m.t === 'inflate') {
    try {
      const out = inflateMember(Buffer.from(m.data));
      // Shared memory, so that the threads that write its files read it without a copy each.
      if (m.slot >= 0 && out.length <= slots[m.slot]!.byteLength) {
        new Uint8Array(slots[m.slot]!, 0, out.length).set(out);
        parentPort!.postMessage({ t: 'reply', id: m.id, length: out.length });
      } else {
        const sab = new SharedArrayBuffer(out.length);
        new Uint8Array(sab).set(out);
        parentPort!.postMessage({ t: 'reply', id: m.id, length: out.length, sab });
      }
    } catch (err) {
      parentPort!.postMessage({ t: 'reply', id: m.id, error: asError(err) });
    }
  } else if (m.t === 'ops') {
    const bytes = runOps(m.session, m.batch);
    const failed = sessions.get(m.session)?.failed ?? null;
    parentPort!.postMessage({ t: 'reply', id: m.id, bytes, ...(failed ? { error: failed } : {}) });
  } else {
    reset(m.session);
    parentPort!.postMessage({ t: 'reply', id: m.id, bytes: 0 });
  }
});
