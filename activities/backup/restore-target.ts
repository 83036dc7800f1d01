// Where a restore may write. Every guard works on real paths (symlinks followed), because a
// guard that compares path text is defeated by one symlink: restoring "into"
// /tmp/link/dest when /tmp/link -> /srv makes /srv/dest — perhaps the backup destination — the
// directory that gets swapped away. All of this runs before anything is written.
import { lstatSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Manifest, RestoreProtect } from '../../src/backup/model/types';
import { restoreTargetError } from '../../src/backup/model/types';
import { formatBytes } from '../../src/core/format';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';

function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, BACKUP_FAILURES.restoreTargetInvalid);
}

/** Checks of the text alone; the CLI and the client API run the same ones. */
export const targetTextError = restoreTargetError;

/** Real path of `p` when it exists; else the real path of its deepest existing ancestor plus the rest. */
export function realOrPlanned(p: string): string {
  const abs = path.resolve(p);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const up = path.dirname(cur);
      if (up === cur) return abs;
      missing.push(path.basename(cur));
      cur = up;
    }
  }
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  // `..backups` is a name inside `parent`; only `..` itself or `../…` leads out of it.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** Mount points, from the kernel's own list (a bind mount of the same filesystem included). */
export function mountPoints(mountinfo = '/proc/self/mountinfo'): Array<{ mount: string; fstype: string }> {
  let text: string;
  try {
    text = readFileSync(mountinfo, 'utf8');
  } catch {
    return [];
  }
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      const dash = f.indexOf('-');
      return { mount: unescape(f[4] ?? ''), fstype: dash >= 0 ? (f[dash + 1] ?? '') : '' };
    });
}

export interface CheckedTarget {
  /** As given (normalised). */
  requested: string;
  /** Real path: what is actually replaced. */
  real: string;
  /** Real path of its parent, where the staging directory goes (same filesystem). */
  parent: string;
  exists: boolean;
  mode: number;
}

export interface TargetCheckInput {
  target: string;
  set: string;
  /** The set's destination as seen by the restoring host. */
  destination: string;
  protect?: RestoreProtect;
  /** The user said they mean to restore into a backed-up path. */
  intoSource?: boolean;
  /** The worker's state directory (its restore journal): never moved by a swap. */
  stateDir?: string;
  mountinfo?: string;
  /** What replaces the target: a tree (default), or one file (a file source restored in place). */
  kind?: 'dir' | 'file';
}

/** Refuses (non-retryable, RestoreTargetInvalid) every target that could destroy what was not asked for. */
export function checkTarget(input: TargetCheckInput): CheckedTarget {
  const textError = targetTextError(input.target);
  if (textError) throw refuse(textError);
  const requested = path.resolve(input.target);
  let exists = false;
  let mode = 0o755;
  try {
    const st = lstatSync(requested);
    if (st.isSymbolicLink()) {
      let to = '(unresolvable)';
      try {
        to = realpathSync(requested);
      } catch {
        /* dangling */
      }
      throw refuse(
        `restore target ${requested} is a symlink (to ${to}); give the real directory, so that it is clear what gets replaced`,
      );
    }
    if (input.kind === 'file') {
      if (!st.isFile())
        throw refuse(
          `restore target ${requested} exists and is not a file, but the backup holds a file there`,
        );
    } else if (!st.isDirectory()) throw refuse(`restore target ${requested} exists and is not a directory`);
    exists = true;
    mode = st.mode & 0o7777;
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  const real = realOrPlanned(requested);
  const via = real !== requested ? ` (${requested} resolves to ${real} through a symlink)` : '';
  if (real === '/') throw refuse(`refusing to restore over the root directory /${via}`);

  const dests = [{ set: input.set, path: input.destination }, ...(input.protect?.destinations ?? [])];
  for (const d of dests) {
    const dr = realOrPlanned(d.path);
    const whose = `the backup destination of set ${d.set} (${dr})`;
    if (real === dr)
      throw refuse(`restore target ${real} is ${whose}${via}; restoring there would delete its backups`);
    if (isInside(real, dr)) throw refuse(`restore target ${real} lies inside ${whose}${via}`);
    if (isInside(dr, real)) {
      throw refuse(
        `restore target ${real} contains ${whose}${via}; restoring there would delete its backups`,
      );
    }
  }
  if (!input.intoSource) {
    for (const s of input.protect?.sources ?? []) {
      const sr = realOrPlanned(s.path);
      const what = `a path that set ${s.set} backs up (${sr})`;
      const flag =
        '; pass --into-source if you mean to replace live data with the backup (the next backup then contains the restored copy)';
      if (real === sr) throw refuse(`restore target ${real} is ${what}${via}${flag}`);
      if (isInside(real, sr)) throw refuse(`restore target ${real} lies inside ${what}${via}${flag}`);
      if (isInside(sr, real)) throw refuse(`restore target ${real} contains ${what}${via}${flag}`);
    }
  }

  if (input.stateDir) {
    const st = realOrPlanned(input.stateDir);
    const what = `the worker's state directory ${st}, which holds the journal that makes a swap recoverable`;
    if (isInside(real, st)) throw refuse(`restore target ${real} lies inside ${what}${via}`);
    if (isInside(st, real)) throw refuse(`restore target ${real} contains ${what}${via}`);
  }

  const mounts = mountPoints(input.mountinfo);
  const at = mounts.find((m) => m.mount === real);
  if (at) {
    throw refuse(
      `restore target ${real} is a mount point (${at.fstype || 'a filesystem'} is mounted there)${via}; a mount point cannot be swapped — restore into a directory under it, e.g. ${path.join(real, 'restored')}`,
    );
  }
  const below = mounts.find((m) => m.mount !== real && isInside(m.mount, real));
  if (below) {
    throw refuse(
      `restore target ${real} contains the mount point ${below.mount}${via}; swapping it would move (or with --discard-previous delete) another filesystem's content — restore into a directory without mounts`,
    );
  }
  return { requested, real, parent: path.dirname(real), exists, mode };
}

export interface SpaceNeed {
  bytes: number;
  inodes: number;
}

/** What extracting a manifest takes on a filesystem with this block size, with a margin. */
export function spaceNeeded(m: Manifest, blockSize: number): SpaceNeed {
  const bs = Math.max(512, blockSize);
  let bytes = 0;
  let inodes = 0;
  for (const e of m.entries) {
    if (e.type === 'hardlink') continue;
    inodes++;
    bytes += e.type === 'file' ? Math.ceil((e.size ?? 0) / bs) * bs : e.type === 'dir' ? bs : 0;
  }
  // 2% and 16 MiB for metadata and other writers, so the disk is not filled to the last block.
  return { bytes: Math.ceil(bytes * 1.02) + 16 * 1024 * 1024, inodes: inodes + 16 };
}

export interface SpaceCheck {
  needBytes: number;
  freeBytes: number;
  needInodes: number;
  freeInodes: number | null;
}

/** Free space where the staging directory goes, against what the backup needs. */
export function checkSpace(dir: string, m: Manifest): SpaceCheck {
  const fs = statfsSync(dir);
  const need = spaceNeeded(m, fs.bsize);
  const freeBytes = fs.bavail * fs.bsize;
  // Some filesystems report no inode limit (0 files in all).
  const freeInodes = fs.files > 0 ? fs.ffree : null;
  const r = { needBytes: need.bytes, freeBytes, needInodes: need.inodes, freeInodes };
  if (freeBytes < need.bytes) {
    throw ApplicationFailure.nonRetryable(
      `not enough space in ${dir} to restore backup ${m.id}: it needs ${formatBytes(need.bytes)} (${need.bytes} bytes, ` +
        `${formatBytes(m.bytesIn)} of data plus filesystem overhead), ${formatBytes(freeBytes)} (${freeBytes} bytes) are free; ` +
        `free space there or restore elsewhere. Nothing was written.`,
      BACKUP_FAILURES.restoreNoSpace,
    );
  }
  if (freeInodes !== null && freeInodes < need.inodes) {
    throw ApplicationFailure.nonRetryable(
      `not enough inodes in ${dir} to restore backup ${m.id}: it needs ${need.inodes}, ${freeInodes} are free. Nothing was written.`,
      BACKUP_FAILURES.restoreNoSpace,
    );
  }
  return r;
}
