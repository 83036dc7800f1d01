// Backup types shared by the config loader, workflows, activities and clients. Plain JSON only.
import type { CommandSpec } from '../../core/command';
import type { RetentionPolicy } from './retention';

export type { CommandSpec };

export interface HookSpec extends CommandSpec {
  onError: 'fail' | 'continue';
}

export interface BackupCommandSpec extends CommandSpec {
  /** Stored as commands/<name> in the archive. */
  name: string;
}

export interface SourceSpec {
  /** Absolute path on the set's host. */
  path: string;
  exclude: string[];
}

/** Everything a backup run needs; the workflow input of backupWorkflow. */
export interface BackupSetSpec {
  set: string;
  host: string;
  sources: SourceSpec[];
  commands: BackupCommandSpec[];
  /** Absolute directory on the set's host. */
  destination: string;
  gzipLevel: number;
  timezone: string;
  retention: RetentionPolicy;
  hooks: { pre: HookSpec[]; post: HookSpec[] };
}

export const COMMANDS_DIR = 'commands';
export const ARCHIVE_SUFFIX = '.tar.gz';
export const MANIFEST_SUFFIX = '.manifest.json';
export const MANIFEST_FORMAT = 'ha-orchestrator/backup-manifest@1';

export interface ManifestFile {
  /** Path inside the archive (no leading "/"). */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink';
  mode: number;
  /** Seconds since the epoch, as stored in the tar header. */
  mtime: number;
  size?: number;
  sha256?: string;
  target?: string;
}

/** The manifest written next to each archive; a backup exists exactly when this does. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  set: string;
  host: string;
  createdAt: string;
  archive: string;
  archiveBytes: number;
  archiveSha256: string;
  gzipLevel: number;
  sources: Array<{ path: string; exclude: string[] }>;
  commands: string[];
  files: number;
  dirs: number;
  symlinks: number;
  bytesIn: number;
  warnings: string[];
  entries: ManifestFile[];
  /**
   * Compressed size of each gzip member of the archive, in order: where each member starts, so
   * that a restore decompresses them on every core. Absent in older manifests (restored serially).
   */
  gzipMembers?: number[];
}

/** What listings and workflow results carry: the manifest without its entry list and index. */
export type BackupInfo = Omit<Manifest, 'entries' | 'format' | 'gzipMembers'>;

export interface ArchiveResult {
  /** The backup's archive name once committed: <id>.tar.gz. */
  archive: string;
  /** Where the finished archive waits for the manifest step (its attempt's own name). */
  staged: string;
  /** The activity attempt that wrote it. */
  attempt: number;
  archiveBytes: number;
  archiveSha256: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytesIn: number;
  warnings: string[];
  durationMs: number;
}

export interface HookResult {
  argv: string[];
  exitCode: number | null;
  ok: boolean;
  durationMs: number;
  output: string;
}

export interface BackupResult {
  set: string;
  id: string;
  host: string;
  createdAt: string;
  archive: string;
  bytesIn: number;
  bytesOut: number;
  files: number;
  durationMs: number;
  verified: boolean;
  warnings: string[];
  retention: { removed: string[]; kept: number };
  hooks: HookResult[];
}

/** What a completed run keeps in its memo (BACKUP_MEMO.summary) and status shows of it. */
export type BackupSummary = Pick<BackupResult, 'id' | 'createdAt' | 'files' | 'bytesOut' | 'verified'>;

export type VerifyStatus = 'ok' | 'corrupted' | 'missing';

export interface VerifyReport {
  id: string;
  status: VerifyStatus;
  detail: string;
  bytes: number;
  files: number;
}

/** Paths a restore on a host must never replace: every set's destination and sources there. */
export interface RestoreProtect {
  destinations: Array<{ set: string; path: string }>;
  sources: Array<{ set: string; path: string }>;
}

export interface RestoreRequest {
  set: string;
  id: string;
  /** Where the archive lives (the set's destination, as seen from the restoring host). */
  destination: string;
  /** Absolute directory to restore into; replaced by a swap only after everything checked out. */
  target: string;
  /** Keep the previous content of target aside (default true). */
  keepPrevious: boolean;
  /** Restore symlinks that point outside the target (they are never followed while restoring). */
  allowExternalSymlinks: boolean;
  /** Destinations and sources of the sets on the restoring host (from the config). */
  protect?: RestoreProtect;
  /** The user means to restore into (or over) a backed-up path. */
  intoSource?: boolean;
  /** When the restore began (ISO); names the previous content's directory. */
  startedAt?: string;
  /** At most this many bytes of restored data per second (spares a busy disk). */
  maxBytesPerSec?: number;
  /**
   * In-place restore of one source: only the archive entries below this path (a source as the
   * manifest lists it, without its leading "/") are written, relative to it, into target.
   */
  subtree?: string;
}

/** An in-place restore: every source path of the backup, each staged beside itself and swapped. */
export interface RestoreInPlaceResult {
  set: string;
  id: string;
  host: string;
  restored: RestoreResult[];
  durationMs: number;
}

/** The archive path of a source (its subtree), as written in the archive. */
export function sourceSubtree(sourcePath: string): string {
  return sourcePath.replace(/^\/+/, '').replace(/\/+$/, '');
}

/** What a restore's preflight found: the backup it picked, and the target and space checked. */
export interface RestoreCheck {
  backup: BackupInfo;
  /** The target's real path, which is what will be replaced. */
  target: string;
  targetExists: boolean;
  needBytes: number;
  freeBytes: number;
}

/** The extraction step's result: a checked tree in a staging directory, not yet swapped in. */
export interface StagedRestore {
  staging: string;
  /** Real path of the target. */
  target: string;
  targetExisted: boolean;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  startedMs: number;
}

export interface RestoreResult {
  set: string;
  id: string;
  host: string;
  target: string;
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  durationMs: number;
  /** Where the previous content of target went, if there was any and it was kept. */
  previous: string | null;
}

/** Backup IDs sort by time: 20261127T020000Z-1a2b. */
export function backupId(createdAtMs: number, suffix: string): string {
  const iso = new Date(createdAtMs).toISOString(); // 2026-11-27T02:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z-${suffix}`;
}

export const BACKUP_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{4,}$/;

/** An absolute POSIX path with "//", "." and ".." resolved (pure: no Node path module here). */
export function normaliseAbsolute(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/**
 * What is wrong with a restore target as text, or undefined. The CLI, the client API and the
 * host all check this, so that `--to ""` or `--to .` never reaches a host.
 */
export function restoreTargetError(target: string): string | undefined {
  if (target.trim() === '')
    return 'the restore target is empty; give an absolute directory, e.g. --to /srv/restore';
  if (target.includes('\0')) return 'the restore target contains a NUL byte';
  if (!target.startsWith('/')) {
    return `the restore target "${target}" is not an absolute path; give the full path on the restoring host (it is never resolved against a working directory)`;
  }
  if (target.split('/').includes('..')) {
    return `the restore target "${target}" contains ".."; write the directory without it (${normaliseAbsolute(target)})`;
  }
  if (normaliseAbsolute(target) === '/') return 'refusing to restore over the root directory /';
  return undefined;
}
