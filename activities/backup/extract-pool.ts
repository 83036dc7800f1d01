// Threads for restores, drills and deep verifies: they inflate gzip members and hash and write
// files, on every core, while the calling thread reads the archive, parses tar headers and
// makes every safety decision (extract.ts). One pool per process, started on first use; idle
// threads keep no process alive. Each file goes to one thread, whose messages are handled in
// order, so its hash and writes stay sequential. Members are inflated into a ring of shared
// slots that every thread reads without a copy; a slot is reused once the file work of every
// batch that refers to it is done, which also bounds the memory a restore holds.
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromWorker, OpBatch, ToWorker, WorkerError } from './extract-protocol';
import { OP, SLOT_BYTES } from './extract-protocol';

/** A thread reported a failure: a file that does not match, or an I/O error (with its code). */
export class PoolFailure extends Error {
  readonly code: string | undefined;
  constructor(readonly detail: WorkerError) {
    super(detail.message);
    this.name = detail.kind === 'mismatch' ? 'PoolMismatch' : 'PoolIoError';
    this.code = detail.code;
  }
}

type Message = ToWorker extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;

interface Pending {
  resolve(r: FromWorker): void;
  reject(err: Error): void;
  weight: number;
}

class Lane {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Work sent and not yet answered (bytes, with inflation weighted as its cost). */
  load = 0;

  private start(): Worker {
    const w = new Worker(path.join(__dirname, 'extract-worker.js'));
    w.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      this.load -= p.weight;
      if (this.pending.size === 0) w.unref();
      p.resolve(m);
    });
    const fail = (err: Error): void => {
      this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.load = 0;
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`an extraction thread exited (${code})`)));
    w.unref();
    w.postMessage({ t: 'slots', id: -1, slots: ring().slots });
    return w;
  }

  send(msg: Message, weight: number, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    // Referenced while it has work, so that a process awaiting it stays alive.
    if (this.pending.size === 0) w.ref();
    this.load += weight;
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, weight });
      w.postMessage({ ...msg, id }, transfer);
    });
  }
}

/** Shared slots for inflated members: taken by the reader, held by the batches that use them. */
class Ring {
  readonly slots: SharedArrayBuffer[];
  readonly index = new Map<SharedArrayBuffer, number>();
  private readonly refs: number[];
  private readonly free: number[];
  private readonly waiting: Array<() => void> = [];

  constructor(n: number) {
    this.slots = Array.from({ length: n }, () => new SharedArrayBuffer(SLOT_BYTES));
    this.slots.forEach((sab, i) => this.index.set(sab, i));
    this.refs = this.slots.map(() => 0);
    this.free = this.slots.map((_, i) => i);
  }

  tryTake(): number | null {
    const i = this.free.pop();
    if (i === undefined) return null;
    this.refs[i] = 1;
    return i;
  }

  /**
   * A slot, waiting for one if none is free; after `maxWaitMs` a member gets memory of its own
   * (-1), so that extractions sharing the ring can never wait on each other for good.
   */
  async take(maxWaitMs = 200): Promise<number> {
    const now = this.tryTake();
    if (now !== null) return now;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const k = this.waiting.indexOf(wake);
        if (k >= 0) this.waiting.splice(k, 1);
        resolve();
      }, maxWaitMs);
      this.waiting.push(wake);
    });
    return this.tryTake() ?? -1;
  }

  hold(slot: number): void {
    this.refs[slot]!++;
  }

  release(slot: number): void {
    if (--this.refs[slot]! > 0) return;
    this.free.push(slot);
    this.waiting.shift()?.();
  }
}

let lanes: Lane[] | undefined;
let theRing: Ring | undefined;

/** HA_EXTRACT_THREADS, or one per core. */
function pool(): Lane[] {
  if (!lanes) {
    const n = Number(process.env.HA_EXTRACT_THREADS) || os.availableParallelism();
    lanes = Array.from({ length: Math.max(1, Math.min(n, 16)) }, () => new Lane());
  }
  return lanes;
}

function ring(): Ring {
  return (theRing ??= new Ring(4 * pool().length + 4));
}

function leastLoaded(ls: Lane[], extra: (i: number) => number = () => 0): number {
  let best = 0;
  for (let i = 1; i < ls.length; i++) if (ls[i]!.load + extra(i) < ls[best]!.load + extra(best)) best = i;
  return best;
}

/** A slot of the ring for the next member (see Ring.take), or null when none is free now. */
export function takeSlot(wait: false): number | null;
export function takeSlot(wait: true): Promise<number>;
export function takeSlot(wait: boolean): number | null | Promise<number> {
  return wait ? ring().take() : ring().tryTake();
}

/** The reader is done with a member: its slot is free once no batch needs it. */
export function releaseSlot(slot: number): void {
  if (slot >= 0) ring().release(slot);
}

/**
 * Inflates one gzip member on the least loaded thread into `slot` (-1: memory of its own); the
 * bytes come back as a view of shared memory.
 */
export async function inflateOnPool(member: ArrayBuffer, slot: number): Promise<Buffer> {
  const ls = pool();
  // Inflating costs about five times what writing and hashing its compressed size costs.
  const msg = { t: 'inflate' as const, data: member, slot };
  const r = await ls[leastLoaded(ls)]!.send(msg, member.byteLength * 5, [member]);
  if (r.error) throw new PoolFailure(r.error);
  return r.sab ? Buffer.from(r.sab) : Buffer.from(ring().slots[slot]!, 0, r.length);
}

let nextSession = 0;

/** One thread's ops, packed as they are queued (see OpBatch). */
class BatchBuilder {
  nums: number[] = [];
  strs: string[] = [];
  members: Array<number | SharedArrayBuffer> = [];
  memberIndex = new Map<SharedArrayBuffer, number>();
  /** Ring slots this batch refers to, held until its thread has done it. */
  slots: number[] = [];
  bytes = 0;

  str(s: string): number {
    this.strs.push(s);
    return this.strs.length - 1;
  }

  member(m: SharedArrayBuffer): number {
    let i = this.memberIndex.get(m);
    if (i === undefined) {
      const slot = ring().index.get(m);
      if (slot !== undefined) {
        ring().hold(slot);
        this.slots.push(slot);
      }
      i = this.members.push(slot ?? m) - 1;
      this.memberIndex.set(m, i);
    }
    return i;
  }
}

/** The files of one extraction, spread over the pool's threads. */
export class FileSession {
  private readonly id = nextSession++;
  private readonly lanes = pool();
  private queued: BatchBuilder[] = this.lanes.map(() => new BatchBuilder());
  private readonly laneOf = new Map<number, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly used = new Set<number>();
  private nextFile = 0;
  private failure: Error | null = null;

  /**
   * A new file: written at `file` (created exclusively, never through a link), or only hashed
   * (null). `where` names it in messages.
   */
  open(file: string | null, where: string): number {
    const id = this.nextFile++;
    const lane = leastLoaded(this.lanes, (i) => this.queued[i]!.bytes);
    this.laneOf.set(id, lane);
    this.used.add(lane);
    const b = this.queued[lane]!;
    b.nums.push(OP.open, id, file === null ? -1 : b.str(file), b.str(where));
    return id;
  }

  /** Bytes of the file; `chunk` must be a view of shared memory (a member from the pool). */
  data(id: number, chunk: Buffer): void {
    const b = this.queued[this.laneOf.get(id)!]!;
    b.nums.push(OP.data, id, b.member(chunk.buffer as SharedArrayBuffer), chunk.byteOffset, chunk.length);
    b.bytes += chunk.length;
  }

  /** The file is complete: check it against `sha256` (when given), then set owner, mode, mtime. */
  close(
    id: number,
    sha256: string | null,
    meta: { mode: number; mtime: number; owner: [number, number] | null },
  ): void {
    const lane = this.laneOf.get(id)!;
    this.laneOf.delete(id);
    const b = this.queued[lane]!;
    const [uid, gid] = meta.owner ?? [-1, -1];
    b.nums.push(OP.close, id, sha256 === null ? -1 : b.str(sha256), meta.mode, meta.mtime, uid, gid);
  }

  /** File bytes queued and not yet sent. */
  get queuedBytes(): number {
    return this.queued.reduce((n, b) => n + b.bytes, 0);
  }

  /** Sends what is queued; throws the first failure any thread reported. */
  flush(): void {
    this.throwIfFailed();
    this.lanes.forEach((lane, i) => {
      const b = this.queued[i]!;
      if (b.nums.length === 0) return;
      this.queued[i] = new BatchBuilder();
      const nums = Float64Array.from(b.nums);
      const batch: OpBatch = { nums, strs: b.strs, members: b.members };
      const weight = b.bytes + b.nums.length * 64;
      const p = lane
        .send({ t: 'ops', session: this.id, batch }, weight, [nums.buffer])
        .then(
          (r) => {
            if (r.error) this.failure ??= new PoolFailure(r.error);
          },
          (err: Error) => {
            this.failure ??= err;
          },
        )
        .finally(() => b.slots.forEach(releaseSlot));
      const tracked = p.finally(() => this.inflight.delete(tracked));
      this.inflight.add(tracked);
    });
  }
  /** Waits until at most `maxBatches` batches are outstanding (bounds the memory held). */
  async drain(maxBatches: number): Promise<void> {
    while (this.inflight.size > maxBatches) await Promise.race(this.inflight);
    this.throwIfFailed();
  }

  /** Everything sent and done; throws the first failure. */
  async finish(): Promise<void> {
    try {
      this.flush();
      await this.drain(0);
    } finally {
      await this.release();
    }
  }

  /** After a failure or a cancel: waits for what was sent, then closes the files left open. */
  async abort(): Promise<void> {
    // Ops never sent give their slots back at once; sent ones when their thread is done.
    for (const b of this.queued) b.slots.forEach(releaseSlot);
    this.queued = this.lanes.map(() => new BatchBuilder());
    await Promise.allSettled([...this.inflight]);
    await this.release();
  }

  /** The threads forget this session (closing any file it left open). */
  private async release(): Promise<void> {
    const used = [...this.used];
    this.used.clear();
    await Promise.allSettled(used.map((i) => this.lanes[i]!.send({ t: 'reset', session: this.id }, 0)));
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}
