// Backup types shared by the config loader, workflows, activities and clients. Plain JSON only.
import type { RetentionPolicy } from './retention';

export interface CommandSpec {
  argv: string[];
  timeoutMs: number;
  /** Values may hold ${ENV} references, resolved by the activity on its host. */
  env: Record<string, string>;
  shell: boolean;
  cwd?: string;
}

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
}

/** What listings and workflow results carry: the manifest without its entry list. */
export type BackupInfo = Omit<Manifest, 'entries' | 'format'>;

export interface ArchiveResult {
  archive: string;
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

export type VerifyStatus = 'ok' | 'corrupted' | 'missing';

export interface VerifyReport {
  id: string;
  status: VerifyStatus;
  detail: string;
  bytes: number;
  files: number;
}

export interface RestoreRequest {
  set: string;
  id: string;
  /** Where the archive lives (the set's destination, as seen from the restoring host). */
  destination: string;
  /** Directory to restore into; replaced atomically. */
  target: string;
  /** Keep the previous content of target aside (default true). */
  keepPrevious: boolean;
  /** Restore symlinks that point outside the target (they are never followed while restoring). */
  allowExternalSymlinks: boolean;
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
