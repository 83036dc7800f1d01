// Messages between the extraction pool (extract-pool.ts) and its threads (extract-worker.ts).

/** No gzip member of ours holds more than 1 MiB; anything past this is refused as a bomb. */
export const MAX_MEMBER_OUTPUT = 64 * 1024 * 1024;

/**
 * File work for one thread, in order, packed so that a batch costs one small message:
 * `nums` holds the ops, strings and shared members are referred to by index.
 *   OPEN  id pathIdx(-1: only hash) whereIdx
 *   DATA  id memberIdx offset length
 *   CLOSE id shaIdx(-1: no check) mode mtime uid gid (uid -1: keep the owner)
 */
export const OP = { open: 0, data: 1, close: 2 } as const;

export interface OpBatch {
  nums: Float64Array;
  strs: string[];
  /** A slot of the pool's ring (by number), or a member of its own. */
  members: Array<number | SharedArrayBuffer>;
}

/** Room for one of our members (1 MiB) with some to spare; larger ones get memory of their own. */
export const SLOT_BYTES = (1 << 20) + 64 * 1024;

export type ToWorker =
  | { t: 'slots'; id: number; slots: SharedArrayBuffer[] }
  /** Into `slot` of the ring when it fits (-1: into memory of its own, sent back). */
  | { t: 'inflate'; id: number; data: ArrayBuffer; slot: number }
  | { t: 'ops'; id: number; session: number; batch: OpBatch }
  | { t: 'reset'; id: number; session: number };

export interface WorkerError {
  kind: 'io' | 'mismatch';
  message: string;
  code?: string;
}

export interface FromWorker {
  t: 'reply';
  id: number;
  /** Inflated: its length, and its memory when it did not go into a slot. */
  length?: number;
  sab?: SharedArrayBuffer;
  bytes?: number;
  error?: WorkerError;
}
