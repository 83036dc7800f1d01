// Creates the archive of a backup set: command outputs, then every source path, walked in a
// stable order. Each attempt writes `.<id>.a<attempt>.archive.partial`, fsynced; the manifest
// step commits it as <id>.tar.gz, so no partial file ever carries a backup's name. Per-entry
// metadata and SHA-256 go to a sidecar for the manifest.
// Over 400 lines on purpose: the packer and the function that drives it share the gzip stream,
// the entry list and the attempt's file names, and change together.
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants as fsc,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  unlinkSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ArchiveResult,
  BackupCommandSpec,
  BackupSetSpec,
  ManifestFile,
} from '../../src/backup/model/types';
import { COMMANDS_DIR } from '../../src/backup/model/types';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { compileExcludes } from './glob';
import type { ExcludeMatcher } from './glob';
import { ParallelGzipWriter } from './pgzip';
import { countSources } from './source-totals';
import type { SourceTotals } from './source-totals';
import { commandError, runCommand } from '../shared/command';
import { fsyncDir, writeFileAtomic } from '../shared/fs';
import { archiveName, cleanLeftovers, PARTIAL_SUFFIX } from './store';
import { encodeHeader, END_OF_ARCHIVE, padding } from './tar';
import type { TarEntry } from './tar';

export interface ArchiveProgress {
  phase: 'commands' | 'files' | 'finishing';
  files: number;
  bytesIn: number;
  bytesOut: number;
  current: string;
  /** What the whole archive will hold, once the commands have run (see source-totals.ts). */
  filesTotal?: number;
  bytesTotal?: number;
}

export interface ArchiveOptions {
  spec: BackupSetSpec;
  id: string;
  createdAt: string;
  /** Called at most about once per `progressEveryMs`. */
  onProgress?: (p: ArchiveProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Test hook: runs before each file is read. */
  beforeFile?: (absPath: string) => void | Promise<void>;
  /**
   * The activity attempt writing this archive. Each attempt has its own file names, so that an
   * attempt still running after the server gave up on it can neither overwrite nor delete
   * the files of the attempt that replaced it.
   */
  attempt?: number;
}

export const ENTRIES_SIDECAR = 'entries';

const READ_BLOCK = 1 << 20;

/** Results travel through Temporal: a run with thousands of warnings reports the first few. */
export function capWarnings(warnings: string[], max = 200): string[] {
  if (warnings.length <= max) return warnings;
  return [...warnings.slice(0, max), `... and ${warnings.length - max} more warnings`];
}

/** Errors about the destination that retrying will not fix. */
export function destinationError(err: unknown, dir: string, written: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return ApplicationFailure.nonRetryable(
      `destination ${dir} is full (${code}) after writing ${written} bytes; free space there or choose another destination. Nothing was kept from this run.`,
      BACKUP_FAILURES.destinationFull,
    );
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return ApplicationFailure.nonRetryable(
      `destination ${dir} is not writable (${code}); fix its permissions or mount, or choose another destination`,
      BACKUP_FAILURES.destinationNotWritable,
    );
  }
  return err as Error;
}

function entryPath(abs: string, isDir: boolean): string {
  const rel = abs.replace(/^\/+/, '');
  return isDir ? `${rel}/` : rel;
}

/** What the packer needs to know about a file; a subset of fs.Stats. */
interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  dev: number;
  ino: number;
  nlink: number;
}

function baseEntry(p: string, st: Meta): Omit<TarEntry, 'type' | 'flag' | 'size' | 'linkpath'> {
  return {
    path: p,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000),
    uname: '',
    gname: '',
  };
}

class Packer {
  readonly entries: ManifestFile[] = [];
  readonly warnings: string[] = [];
  files = 0;
  dirs = 0;
  symlinks = 0;
  bytesIn = 0;
  private readonly seen = new Set<string>();
  private readonly inodes = new Map<string, string>();
  private readonly buf = Buffer.allocUnsafe(READ_BLOCK);
  private lastProgress = 0;
  private current = '';
  /** The sources' totals, counted before the walk (null: too many to count cheaply). */
  totals: SourceTotals | null = null;
  private commandFiles = 0;
  private commandBytes = 0;

  constructor(
    private readonly gz: ParallelGzipWriter,
    private readonly opts: ArchiveOptions,
  ) {}

  progress(phase: ArchiveProgress['phase'], force = false): void {
    const now = Date.now();
    if (!force && now - this.lastProgress < (this.opts.progressEveryMs ?? 1000)) return;
    this.lastProgress = now;
    const t = this.totals;
    this.opts.onProgress?.({
      phase,
      files: this.files,
      bytesIn: this.bytesIn,
      bytesOut: this.gz.bytesOut,
      current: this.current,
      // A command's output is only known once it has run: totals from the files phase on.
      ...(t && phase !== 'commands'
        ? { filesTotal: t.files + this.commandFiles, bytesTotal: t.bytes + this.commandBytes }
        : {}),
    });
    if (this.opts.signal?.aborted)
      throw this.opts.signal.reason instanceof Error ? this.opts.signal.reason : new Error('cancelled');
  }

  /** Writes an entry's header and records the entry for the manifest (from the same fields). */
  private async emit(e: TarEntry & { type: ManifestFile['type'] }): Promise<ManifestFile> {
    await this.gz.write(encodeHeader(e));
    const m: ManifestFile = { path: e.path, type: e.type, mode: e.mode, mtime: e.mtime };
    if (e.type === 'symlink' || e.type === 'hardlink') m.target = e.linkpath;
    if (e.type === 'file') m.size = e.size;
    this.entries.push(m);
    this.seen.add(e.path);
    return m;
  }

  async dir(p: string, st: Meta | null, mtime?: number): Promise<void> {
    if (this.seen.has(p)) return;
    const base = st
      ? baseEntry(p, st)
      : { path: p, mode: 0o755, uid: 0, gid: 0, mtime: mtime ?? 0, uname: '', gname: '' };
    await this.emit({ ...base, type: 'dir', flag: '5', size: 0, linkpath: '' });
    this.dirs++;
  }

  /** Streams one open file into the archive; size comes from fstat at open time. */
  async file(abs: string, p: string, fd: number, st: Meta, watchChanges = true): Promise<void> {
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) {
      const first = this.inodes.get(key);
      if (first !== undefined) {
        closeSync(fd);
        await this.emit({ ...baseEntry(p, st), type: 'hardlink', flag: '1', size: 0, linkpath: first });
        return;
      }
      this.inodes.set(key, p);
    }
    this.current = abs;
    const size = st.size;
    const entry = await this.emit({ ...baseEntry(p, st), type: 'file', flag: '0', size, linkpath: '' });
    const hash = createHash('sha256');
    let remaining = size;
    let shrank = false;
    try {
      while (remaining > 0) {
        const n = readSync(fd, this.buf, 0, Math.min(READ_BLOCK, remaining), null);
        if (n === 0) {
          shrank = true;
          break;
        }
        const chunk = this.buf.subarray(0, n);
        hash.update(chunk);
        await this.gz.write(chunk);
        remaining -= n;
        this.bytesIn += n;
        this.progress('files');
      }
      if (shrank) {
        // The header promised `size` bytes: pad with zeros, as GNU tar does, and say so.
        const zeros = Buffer.alloc(Math.min(READ_BLOCK, remaining));
        while (remaining > 0) {
          const n = Math.min(zeros.length, remaining);
          hash.update(zeros.subarray(0, n));
          await this.gz.write(zeros.subarray(0, n));
          remaining -= n;
        }
        this.warnings.push(`file shrank while being read (padded with zeros): ${abs}`);
      } else if (watchChanges) {
        const after = fstatSync(fd);
        if (after.size > size)
          this.warnings.push(`file grew while being read (first ${size} bytes kept): ${abs}`);
        else if (after.mtimeMs !== st.mtimeMs) this.warnings.push(`file changed while being read: ${abs}`);
      }
    } finally {
      closeSync(fd);
    }
    const pad = padding(size);
    if (pad) await this.gz.write(Buffer.alloc(pad));
    entry.sha256 = hash.digest('hex');
    this.files++;
  }

  async walk(root: string, exclude: ExcludeMatcher): Promise<void> {
    let rootSt: Stats;
    try {
      rootSt = lstatSync(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw ApplicationFailure.nonRetryable(
          `source path ${root} does not exist on host ${this.opts.spec.host}; fix "paths" in the config or create it`,
          BACKUP_FAILURES.sourceMissing,
        );
      }
      throw ApplicationFailure.nonRetryable(
        `source path ${root} cannot be read (${code})`,
        BACKUP_FAILURES.sourceUnreadable,
      );
    }
    // Parent directories of the source, so that the archive extracts with the right layout.
    const parts = root.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dirAbs = '/' + parts.slice(0, i).join('/');
      let st: Stats | null = null;
      try {
        st = lstatSync(dirAbs);
      } catch {
        /* unreadable parent: stored with default mode */
      }
      await this.dir(entryPath(dirAbs, true), st);
    }
    const stack: Array<{ abs: string; rel: string; st?: Stats }> = [{ abs: root, rel: '', st: rootSt }];
    while (stack.length) {
      const { abs, rel, st: known } = stack.pop()!;
      let st: Stats;
      try {
        st = known ?? lstatSync(abs);
      } catch (err) {
        this.warnings.push(`vanished before it was read: ${abs} (${(err as NodeJS.ErrnoException).code})`);
        continue;
      }
      if (rel && exclude.excluded(rel, st.isDirectory())) continue;
      if (st.isDirectory()) {
        await this.dir(entryPath(abs, true), st);
        let names: string[];
        try {
          names = readdirSync(abs);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (abs === root && code !== 'ENOENT') {
            throw ApplicationFailure.nonRetryable(
              `source path ${root} cannot be read (${code})`,
              BACKUP_FAILURES.sourceUnreadable,
            );
          }
          this.warnings.push(`directory could not be read: ${abs} (${code})`);
          continue;
        }
        names.sort();
        // Reverse onto the stack so that entries come out in sorted order.
        for (let i = names.length - 1; i >= 0; i--) {
          const n = names[i]!;
          stack.push({ abs: abs === '/' ? `/${n}` : `${abs}/${n}`, rel: rel ? `${rel}/${n}` : n });
        }
      } else if (st.isSymbolicLink()) {
        const p = entryPath(abs, false);
        if (this.seen.has(p)) continue;
        let target: string;
        try {
          target = readlinkSync(abs);
        } catch (err) {
          this.warnings.push(`vanished before it was read: ${abs} (${(err as NodeJS.ErrnoException).code})`);
          continue;
        }
        await this.emit({ ...baseEntry(p, st), type: 'symlink', flag: '2', size: 0, linkpath: target });
        this.symlinks++;
      } else if (st.isFile()) {
        const p = entryPath(abs, false);
        if (this.seen.has(p)) continue;
        await this.opts.beforeFile?.(abs);
        let fd: number;
        try {
          fd = openSync(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') this.warnings.push(`vanished before it was read: ${abs}`);
          else if (abs === root)
            throw ApplicationFailure.nonRetryable(
              `source path ${root} cannot be read (${code})`,
              BACKUP_FAILURES.sourceUnreadable,
            );
          else this.warnings.push(`could not be read, skipped: ${abs} (${code})`);
          continue;
        }
        const now = fstatSync(fd);
        if (!now.isFile()) {
          closeSync(fd);
          this.warnings.push(`changed type while being read, skipped: ${abs}`);
          continue;
        }
        await this.file(abs, p, fd, now);
      } else {
        this.warnings.push(`special file skipped (device, socket or FIFO): ${abs}`);
      }
      this.progress('files');
    }
  }

  async commandOutput(cmd: BackupCommandSpec, dest: string, prefix: string): Promise<void> {
    const spool = path.join(dest, `${prefix}.cmd-${cmd.name}${PARTIAL_SUFFIX}`);
    const out = openSync(spool, 'w', 0o600);
    this.current = `command ${cmd.name}`;
    let outcome;
    try {
      outcome = await runCommand(cmd, {
        host: this.opts.spec.host,
        where: `commands.${cmd.name}`,
        stdoutFd: out,
        ...(this.opts.env ? { env: this.opts.env } : {}),
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      });
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    if (outcome.exitCode !== 0) {
      unlinkSync(spool);
      throw commandError(cmd, outcome, `commands.${cmd.name}`);
    }
    const fd = openSync(spool, 'r');
    const st = fstatSync(fd);
    this.commandFiles++;
    this.commandBytes += st.size;
    // Stored with the time of the run and private permissions: dumps often hold secrets.
    await this.file(
      spool,
      `${COMMANDS_DIR}/${cmd.name}`,
      fd,
      {
        mode: 0o600,
        uid: 0,
        gid: 0,
        mtimeMs: Date.parse(this.opts.createdAt),
        size: st.size,
        dev: st.dev,
        ino: st.ino,
        nlink: 1,
      },
      false,
    );
    unlinkSync(spool);
  }
}

/** Prefix of every file one attempt writes: `.<id>.a<attempt>`. */
export function attemptPrefix(id: string, attempt: number): string {
  return `.${id}.a${attempt}`;
}

/** The entry list of an attempt, read by the manifest step. */
export function sidecarName(id: string, attempt: number): string {
  return `${attemptPrefix(id, attempt)}.${ENTRIES_SIDECAR}${PARTIAL_SUFFIX}`;
}

/**
 * Builds the archive for one run. The caller holds the set's single-run guarantee. The
 * complete archive stays under its attempt's own name (`staged` in the result) until the
 * manifest step, which only the attempt whose result the workflow accepted reaches, renames
 * it to `<id>.tar.gz`.
 */
export async function createArchive(opts: ArchiveOptions): Promise<ArchiveResult> {
  const { spec, id } = opts;
  const attempt = opts.attempt ?? 1;
  const dest = spec.destination;
  const started = Date.now();
  try {
    mkdirSync(dest, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw destinationError(err, dest, 0);
  }
  cleanLeftovers(dest, id, attempt);

  const prefix = attemptPrefix(id, attempt);
  const staged = `${prefix}.archive${PARTIAL_SUFFIX}`;
  const partial = path.join(dest, staged);
  let fd: number;
  try {
    fd = openSync(partial, 'w', 0o640);
  } catch (err) {
    throw destinationError(err, dest, 0);
  }
  const gz = new ParallelGzipWriter(fd, { level: spec.gzipLevel });
  const packer = new Packer(gz, opts);
  let ok = false;
  try {
    packer.totals = countSources(spec.sources);
    if (spec.commands.length) {
      await packer.dir(`${COMMANDS_DIR}/`, null, Math.floor(Date.parse(opts.createdAt) / 1000));
      for (const cmd of spec.commands) {
        packer.progress('commands', true);
        await packer.commandOutput(cmd, dest, prefix);
      }
    }
    for (const src of spec.sources) await packer.walk(src.path, compileExcludes(src.exclude));
    packer.progress('finishing', true);
    await gz.write(END_OF_ARCHIVE);
    const done = await gz.end();
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    writeFileAtomic(
      path.join(dest, sidecarName(id, attempt)),
      JSON.stringify({ entries: packer.entries, gzipMembers: done.memberSizes }),
    );
    fsyncDir(dest);
    ok = true;
    return {
      archive: archiveName(id),
      staged,
      attempt,
      archiveBytes: done.bytesOut,
      archiveSha256: done.sha256,
      files: packer.files,
      dirs: packer.dirs,
      symlinks: packer.symlinks,
      bytesIn: packer.bytesIn,
      warnings: capWarnings(packer.warnings),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    throw destinationError(err, dest, gz.bytesOut);
  } finally {
    if (!ok) {
      await gz.abort();
      if (fd >= 0) closeSync(fd);
      // Only this attempt's own files: another attempt may be writing beside it.
      try {
        for (const n of readdirSync(dest)) if (n.startsWith(`${prefix}.`)) unlinkSync(path.join(dest, n));
      } catch {
        /* destination may be gone or read-only */
      }
    }
  }
}
