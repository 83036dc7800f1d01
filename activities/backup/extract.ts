// Safe extraction of a backup archive into a fresh staging directory, checking each entry
// against the manifest as it goes. Anything that could land outside the directory ("..",
// absolute names, writing through a symlink, links that escape, device files) is refused
// before it is written; the caller then deletes the staging directory, so nothing remains.
// Every decision is made here, on the calling thread; inflating members and hashing and
// writing file contents run on the extraction pool's threads (extract-pool.ts).
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Manifest, ManifestFile } from '../../src/backup/model/types';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { ContentMismatch, HostileEntry, safeRelative } from './entry-safety';
import { FileSession, PoolFailure } from './extract-pool';
import { fileSha256, gunzipFile, gunzipMembers } from './pgzip';
import { checkArchiveSize, checksumFailure } from './archive-facts';
import type { ArchiveFacts } from './archive-facts';
import { TarParser } from './tar';
import type { TarEntry } from './tar';

export { ContentMismatch, HostileEntry, safeRelative };

export interface ExtractOptions {
  archive: string;
  /** Directory to extract into; must exist and be empty. Omit to only read and check. */
  into?: string;
  /** Expected entries; each one is checked (type, link target, SHA-256 of files). */
  manifest?: Manifest;
  allowExternalSymlinks?: boolean;
  /** Restore owners (only meaningful as root). */
  owners?: boolean;
  /** Restored bytes and files so far. */
  onProgress?: (bytesOut: number, files: number) => void;
  /** Extraction stops at the next chunk once this is aborted (a cancelled activity). */
  signal?: AbortSignal;
  /** At most this many restored bytes per second. */
  maxBytesPerSec?: number;
  /**
   * The archive's size and SHA-256, checked in the same pass as the extraction: a mismatch fails
   * it at the end (or first, when it also broke the extraction), with `after` ending the message.
   */
  checksum?: { want: ArchiveFacts; after: string };
  /**
   * Write only the entries below this archive path (a backed-up directory, as in the manifest),
   * relative to it: an in-place restore of one source. Every entry is still read and checked.
   */
  subtree?: string;
  /**
   * With a `subtree` that is a file in the archive: write that one file, at this path (which
   * must not exist), instead of a tree under `into`: an in-place restore of a file source.
   */
  intoFile?: string;
}

export interface ExtractResult {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
}

/** File bytes queued for the threads before they are sent. */
const FLUSH_BYTES = 2 * 1024 * 1024;

function manifestKey(p: string): string {
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

const ASCII_TYPES: Record<string, string> = {
  char: 'character device',
  block: 'block device',
  fifo: 'FIFO',
  other: 'unsupported entry',
};

export async function extractArchive(opts: ExtractOptions): Promise<ExtractResult> {
  const root = opts.into;
  const expected = new Map<string, ManifestFile>();
  for (const e of opts.manifest?.entries ?? []) expected.set(manifestKey(e.path), e);
  const seen = new Set<string>();
  const symlinks = new Set<string>();
  const regular = new Set<string>();
  const dirs: Array<{ rel: string; mode: number; mtime: number; uid: number; gid: number }> = [];
  const owners = opts.owners ?? false;
  const result = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };

  const session = new FileSession();
  let current: { rel: string; entry: TarEntry; want?: ManifestFile; id: number } | undefined;
  /** Hard links are made once every file is written (their targets are then complete). */
  const links: Array<[string, string]> = [];

  const prefix = opts.subtree !== undefined ? safeRelative(opts.subtree, 'subtree') : null;
  const intoFile = prefix !== null ? opts.intoFile : undefined;
  /** Where an archive path goes under root; null when nowhere (outside the subtree, or its root). */
  const outOf = (rel: string): string | null => {
    if (prefix === null) return rel;
    if (intoFile !== undefined) return rel === prefix ? '' : null;
    return rel.startsWith(`${prefix}/`) ? rel.slice(prefix.length + 1) : null;
  };
  const writes = (rel: string): boolean =>
    (root !== undefined || intoFile !== undefined) && outOf(rel) !== null;
  // rel is normalised (safeRelative), so joining is concatenating.
  const rootSlash = root === undefined ? '' : root.endsWith('/') ? root : `${root}/`;
  const full = (rel: string): string => intoFile ?? rootSlash + outOf(rel)!;

  // The last parent whose every ancestor was checked: most entries share it with the one before.
  let checkedParent: string | null = null;
  const checkParents = (rel: string): void => {
    const slash = rel.lastIndexOf('/');
    if (slash < 0) return;
    const parent = rel.slice(0, slash);
    if (parent === checkedParent) return;
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
      const prefix = rel.slice(0, i);
      if (symlinks.has(prefix))
        throw new HostileEntry(`entry "${rel}" would be written through the symlink "${prefix}"`);
      if (regular.has(prefix)) throw new HostileEntry(`entry "${rel}" is below "${prefix}", which is a file`);
    }
    checkedParent = parent;
  };
  /** A symlink or a file at `rel`: a parent checked before is checked again if it is below it. */
  const leaf = (set: Set<string>, rel: string): void => {
    set.add(rel);
    if (checkedParent !== null && (checkedParent === rel || checkedParent.startsWith(`${rel}/`)))
      checkedParent = null;
  };

  // Directories known to exist: most entries share their parent with the previous one.
  const made = new Set<string>();
  const ensureParent = (rel: string): void => {
    const slash = rel.lastIndexOf('/');
    if (slash < 0 || !root || intoFile !== undefined) return;
    const dir = rel.slice(0, slash);
    if (made.has(dir)) return;
    if (outOf(dir) !== null) mkdirSync(full(dir), { recursive: true, mode: 0o700 });
    made.add(dir);
  };

  const expect = (rel: string, e: TarEntry): ManifestFile | undefined => {
    if (!opts.manifest) return undefined;
    const want = expected.get(rel);
    if (!want) throw new ContentMismatch(`archive entry "${rel}" is not in the manifest`);
    if (want.type !== e.type)
      throw new ContentMismatch(`archive entry "${rel}" is a ${e.type}, the manifest says ${want.type}`);
    return want;
  };

  const checkSymlink = (rel: string, target: string): void => {
    if (!target || target.includes('\0')) throw new HostileEntry(`symlink "${rel}" has an invalid target`);
    if (opts.allowExternalSymlinks) return;
    if (target.startsWith('/')) {
      throw new HostileEntry(`symlink "${rel}" points to the absolute path "${target}", outside the target`);
    }
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
    if (resolved === '..' || resolved.startsWith('../')) {
      throw new HostileEntry(`symlink "${rel}" -> "${target}" points outside the target`);
    }
  };

  const checkHardlink = (rel: string, linkpath: string): void => {
    const target = safeRelative(linkpath, `hard link target of "${rel}"`);
    if (!regular.has(target)) {
      throw new HostileEntry(
        `hard link "${rel}" -> "${linkpath}" does not point to a file restored before it`,
      );
    }
  };

  const parser = new TarParser({
    entry(e) {
      const rel = safeRelative(e.path);
      if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink' && e.type !== 'hardlink') {
        throw new HostileEntry(
          `entry "${rel}" is a ${ASCII_TYPES[e.type] ?? e.type} (type "${e.flag}"), which a restore never creates`,
        );
      }
      checkParents(rel);
      if (prefix !== null && rel === prefix && e.type !== (intoFile !== undefined ? 'file' : 'dir'))
        throw new ContentMismatch(
          `"${rel}" is a ${e.type} in this backup, not a ${intoFile !== undefined ? 'file' : 'directory'}: it cannot be restored in place`,
        );
      if (seen.has(rel) && e.type !== 'dir')
        throw new HostileEntry(`entry "${rel}" appears twice in the archive`);
      // Safety first: a hostile entry is reported as such, whatever the manifest says.
      // Inside a subtree a link must stay inside it: that is the target of an in-place restore.
      if (e.type === 'symlink') checkSymlink(outOf(rel) ?? rel, e.linkpath);
      if (e.type === 'hardlink') checkHardlink(rel, e.linkpath);
      if (e.type !== 'dir' && made.has(rel)) {
        throw new HostileEntry(`entry "${rel}" would replace a directory restored before it`);
      }
      const want = expect(rel, e);
      seen.add(rel);

      if (e.type === 'dir') {
        if (regular.has(rel) || symlinks.has(rel))
          throw new HostileEntry(`directory "${rel}" replaces an earlier entry`);
        if (writes(rel) && !made.has(rel)) {
          mkdirSync(full(rel), { recursive: true, mode: 0o700 });
          made.add(rel);
        }
        dirs.push({ rel, mode: e.mode, mtime: e.mtime, uid: e.uid, gid: e.gid });
        result.dirs++;
        return;
      }
      if (e.type === 'symlink') {
        const target = e.linkpath;
        if (want && want.target !== target)
          throw new ContentMismatch(
            `symlink "${rel}" points to "${target}", the manifest says "${want.target}"`,
          );
        if (writes(rel)) {
          ensureParent(rel);
          symlinkSync(target, full(rel));
          if (owners) lchownSync(full(rel), e.uid, e.gid);
          lutimesSync(full(rel), e.mtime, e.mtime);
        }
        leaf(symlinks, rel);
        result.symlinks++;
        return;
      }
      if (e.type === 'hardlink') {
        const target = safeRelative(e.linkpath);
        if (want && want.target !== target)
          throw new ContentMismatch(
            `hard link "${rel}" points to "${target}", the manifest says "${want.target}"`,
          );
        if (writes(rel)) {
          if (outOf(target) === null)
            throw new HostileEntry(
              `hard link "${rel}" -> "${target}" points outside ${prefix ?? 'the target'}: restore this backup into a directory instead`,
            );
          ensureParent(rel);
          links.push([full(target), full(rel)]);
        }
        leaf(regular, rel);
        result.hardlinks++;
        return;
      }
      // Regular file: created exclusively and never through a link, by a pool thread.
      if (want && want.size !== e.size)
        throw new ContentMismatch(`file "${rel}" has ${e.size} bytes, the manifest says ${want.size}`);
      if (writes(rel)) ensureParent(rel);
      current = {
        rel,
        entry: e,
        ...(want ? { want } : {}),
        id: session.open(writes(rel) ? full(rel) : null, rel),
      };
      leaf(regular, rel);
    },
    data(chunk) {
      session.data(current!.id, chunk);
      result.bytes += chunk.length;
    },
    end() {
      const c = current!;
      const e = c.entry;
      session.close(c.id, c.want?.sha256 ?? null, {
        mode: e.mode,
        mtime: e.mtime,
        owner: owners ? [e.uid, e.gid] : null,
      });
      current = undefined;
      result.files++;
    },
  });

  if (opts.checksum) checkArchiveSize(opts.archive, opts.checksum.want, opts.checksum.after);
  const archiveHash = opts.checksum ? createHash('sha256') : undefined;
  const maxBatches = 4 * os.availableParallelism();
  try {
    const onChunk = async (chunk: Buffer): Promise<void> => {
      const signal = opts.signal;
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
      // File data goes to the threads as shared memory; a stream's chunks are copied there once.
      let shared = chunk;
      if (!(chunk.buffer instanceof SharedArrayBuffer)) {
        shared = Buffer.from(new SharedArrayBuffer(chunk.length));
        chunk.copy(shared);
      }
      parser.write(shared);
      // A few members a message: each message costs the same whatever it holds.
      if (session.queuedBytes >= FLUSH_BYTES) session.flush();
      await session.drain(maxBatches);
      opts.onProgress?.(result.bytes, result.files);
    };
    const read = { ...(opts.maxBytesPerSec ? { maxBytesPerSec: opts.maxBytesPerSec } : {}) };
    const onCompressed = archiveHash ? (c: Buffer) => void archiveHash.update(c) : undefined;
    const onStall = (): void => session.flush();
    // With the manifest's member index, every core inflates; without it, one does.
    const members = opts.manifest?.gzipMembers;
    if (members?.length)
      await gunzipMembers(opts.archive, members, onChunk, { ...read, onCompressed, onStall });
    else await gunzipFile(opts.archive, onChunk, { ...read, onCompressed });
    parser.finish();
    await session.finish();
    if (archiveHash && archiveHash.digest('hex') !== opts.checksum!.want.archiveSha256)
      throw checksumFailure(opts.archive, opts.checksum!.after);
    for (const [target, link] of links) linkSync(target, link);
  } catch (err) {
    await session.abort();
    throw await rootCause(err, opts);
  }

  if (opts.manifest) {
    const missing = [...expected.keys()].filter((k) => !seen.has(k));
    if (missing.length) {
      throw new ContentMismatch(
        `${missing.length} manifest entr${missing.length === 1 ? 'y is' : 'ies are'} missing from the archive, e.g. "${missing[0]}"`,
      );
    }
  }

  if (prefix !== null && !seen.has(prefix))
    throw new ContentMismatch(`this backup holds nothing at "${prefix}": nothing to restore in place there`);
  if (root) {
    // Directories last and deepest first, so that restoring a read-only directory's mode or a
    // directory's mtime is not undone by writing its children.
    dirs.sort((a, b) => b.rel.length - a.rel.length);
    for (const d of dirs) {
      if (!writes(d.rel)) continue;
      if (owners) lchownSync(full(d.rel), d.uid, d.gid);
      chmodSync(full(d.rel), d.mode & 0o7777);
      utimesSync(full(d.rel), d.mtime, d.mtime);
    }
  }
  return result;
}

/**
 * What a failed extraction reports. A damaged archive usually breaks the extraction before its
 * checksum is complete; then the checksum is finished, and a mismatch is named as the cause.
 * A thread's verdicts become the errors that extractionFailure() knows.
 */
async function rootCause(err: unknown, opts: ExtractOptions): Promise<unknown> {
  const signal = opts.signal;
  if (opts.checksum && !signal?.aborted && !(err instanceof ApplicationFailure)) {
    try {
      if ((await fileSha256(opts.archive)).sha256 !== opts.checksum.want.archiveSha256)
        return checksumFailure(opts.archive, opts.checksum.after);
    } catch {
      /* the archive cannot be read: the original error says more */
    }
  }
  if (err instanceof PoolFailure && err.detail.kind === 'mismatch') return new ContentMismatch(err.message);
  return err;
}

/** Turns extraction errors into the failures workflows and users see. */
export function extractionFailure(err: unknown, archive: string): Error {
  if (err instanceof HostileEntry) {
    return ApplicationFailure.nonRetryable(
      `refused to restore ${path.basename(archive)}: ${err.message}; nothing was written`,
      BACKUP_FAILURES.hostileArchive,
    );
  }
  if (err instanceof ContentMismatch) {
    return ApplicationFailure.nonRetryable(
      `${path.basename(archive)} does not match its manifest: ${err.message}`,
      BACKUP_FAILURES.archiveCorrupted,
    );
  }
  const e = err as NodeJS.ErrnoException;
  if (
    e.name === 'TarFormatError' ||
    e.code === 'Z_DATA_ERROR' ||
    e.code === 'Z_BUF_ERROR' ||
    /unexpected end of file|incorrect header check|invalid/.test(e.message ?? '')
  ) {
    return ApplicationFailure.nonRetryable(
      `${path.basename(archive)} is corrupted: ${e.message}`,
      BACKUP_FAILURES.archiveCorrupted,
    );
  }
  return err as Error;
}
