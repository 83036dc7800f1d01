// Building and comparing real directory trees.
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import * as path from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
  ino?: number;
}

/** Every entry below root with type, mode, mtime (seconds) and content hash or link target. */
export function snapshotTree(root: string, opts: { inodes?: boolean } = {}): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      const base = { mode: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000) };
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', ...base, target: readlinkSync(abs) };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', ...base };
        walk(abs, r);
      } else {
        const content = st.size > 64 * 1024 * 1024 ? null : readFileSync(abs);
        out[r] = {
          type: 'file',
          ...base,
          size: st.size,
          sha256: content ? createHash('sha256').update(content).digest('hex') : `large:${st.size}`,
          ...(opts.inodes ? { ino: st.ino } : {}),
        };
      }
    }
  };
  walk(root, '');
  return out;
}

/** SHA-256 of a file of any size, read in blocks. */
export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 22);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}
