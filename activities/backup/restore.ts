// Restore, verify and drill: everything that reads archives back.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Manifest, RestoreRequest, RestoreResult, VerifyReport } from '../../src/common/backup';
import { ERROR_TYPES } from '../../src/common/errors';
import { extractArchive, extractionFailure } from './extract';
import { fileSha256 } from './pgzip';
import { archiveName, fileSize, fsyncDir, manifestName, readManifest, writeFileAtomic } from './store';

export function loadManifestOrFail(destination: string, set: string, id: string): Manifest {
  const file = path.join(destination, manifestName(id));
  if (!existsSync(file)) {
    throw ApplicationFailure.nonRetryable(
      `backup ${id} of set ${set} not found (no ${file})`,
      ERROR_TYPES.backupNotFound,
    );
  }
  try {
    return readManifest(destination, id);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `manifest of backup ${id} cannot be read: ${(err as Error).message}`,
      ERROR_TYPES.archiveCorrupted,
    );
  }
}

/**
 * Checks an archive's size and SHA-256 against what its manifest (or the run that wrote it)
 * says, without decompressing it. `after` finishes the messages ("nothing was written").
 */
export async function checkArchiveChecksum(
  file: string,
  want: { id: string; archiveBytes: number; archiveSha256: string },
  after: string,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  const size = fileSize(file);
  if (size === undefined) {
    throw ApplicationFailure.nonRetryable(
      `archive ${file} of backup ${want.id} is missing`,
      ERROR_TYPES.archiveMissing,
    );
  }
  if (size !== want.archiveBytes) {
    throw ApplicationFailure.nonRetryable(
      `archive ${file} has ${size} bytes, its manifest says ${want.archiveBytes} (truncated or altered); ${after}`,
      ERROR_TYPES.archiveCorrupted,
    );
  }
  const { sha256 } = await fileSha256(file, onProgress);
  if (sha256 !== want.archiveSha256) {
    throw ApplicationFailure.nonRetryable(
      `archive ${file} fails its SHA-256 check (corrupted); ${after}`,
      ERROR_TYPES.archiveCorrupted,
    );
  }
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function stamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export interface RestoreHooks {
  host: string;
  onProgress?: (what: string, bytes: number) => void;
}

export async function restoreBackup(req: RestoreRequest, hooks: RestoreHooks): Promise<RestoreResult> {
  const started = Date.now();
  if (!path.isAbsolute(req.target)) {
    throw ApplicationFailure.nonRetryable(
      `restore target "${req.target}" must be an absolute path`,
      ERROR_TYPES.restoreTargetInvalid,
    );
  }
  const target = path.resolve(req.target);
  if (target === '/' || target === path.parse(target).root) {
    throw ApplicationFailure.nonRetryable(
      'refusing to restore over the root directory',
      ERROR_TYPES.restoreTargetInvalid,
    );
  }
  if (isInside(req.destination, target)) {
    throw ApplicationFailure.nonRetryable(
      `restore target ${target} contains the backup destination ${req.destination}; choose another directory`,
      ERROR_TYPES.restoreTargetInvalid,
    );
  }
  let targetExists = false;
  let targetMode = 0o755;
  try {
    const st = lstatSync(target);
    if (!st.isDirectory()) {
      throw ApplicationFailure.nonRetryable(
        `restore target ${target} exists and is not a directory`,
        ERROR_TYPES.restoreTargetInvalid,
      );
    }
    targetExists = true;
    targetMode = st.mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }

  const m = loadManifestOrFail(req.destination, req.set, req.id);
  // The whole archive is checked before anything is written anywhere.
  await checkArchiveChecksum(path.join(req.destination, archiveName(m.id)), m, 'nothing was written', (b) =>
    hooks.onProgress?.('checksum', b),
  );

  const parent = path.dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(target)}.ha-restore-${req.id}`);
  rmSync(staging, { recursive: true, force: true }); // left by an interrupted attempt
  mkdirSync(staging, { mode: 0o700 });
  let counts;
  try {
    counts = await extractArchive({
      archive: path.join(req.destination, archiveName(m.id)),
      into: staging,
      manifest: m,
      allowExternalSymlinks: req.allowExternalSymlinks,
      owners: process.getuid?.() === 0,
      onProgress: (b) => hooks.onProgress?.('extract', b),
    });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw extractionFailure(err, archiveName(m.id));
  }

  chmodSync(staging, targetMode); // the target directory itself keeps its mode
  // Swap: the old content moves aside, the staged tree takes its name.
  let previous: string | null = null;
  if (targetExists) {
    previous = `${target}.ha-previous-${stamp()}`;
    renameSync(target, previous);
  }
  renameSync(staging, target);
  fsyncDir(parent);
  if (previous && !req.keepPrevious) {
    rmSync(previous, { recursive: true, force: true });
    previous = null;
  }
  return {
    set: req.set,
    id: req.id,
    host: hooks.host,
    target,
    files: counts.files + counts.hardlinks,
    dirs: counts.dirs,
    symlinks: counts.symlinks,
    bytes: counts.bytes,
    durationMs: Date.now() - started,
    previous,
  };
}

/** Re-reads one backup: checksum, then (deep) decompression and per-file SHA-256. */
export async function verifyOne(
  destination: string,
  set: string,
  id: string,
  deep: boolean,
  onProgress?: (b: number) => void,
): Promise<VerifyReport> {
  let m: Manifest;
  try {
    m = loadManifestOrFail(destination, set, id);
  } catch (err) {
    const type = (err as ApplicationFailure).type;
    return {
      id,
      status: type === ERROR_TYPES.backupNotFound ? 'missing' : 'corrupted',
      detail: (err as Error).message,
      bytes: 0,
      files: 0,
    };
  }
  try {
    await checkArchiveChecksum(path.join(destination, archiveName(id)), m, 'nothing was written', onProgress);
    if (deep) {
      const r = await extractArchive({ archive: path.join(destination, archiveName(id)), manifest: m });
      return {
        id,
        status: 'ok',
        detail: `checksum ok; ${r.files + r.hardlinks} files match the manifest`,
        bytes: m.archiveBytes,
        files: r.files,
      };
    }
    return { id, status: 'ok', detail: 'checksum ok', bytes: m.archiveBytes, files: m.files };
  } catch (err) {
    const failure = extractionFailure(err, archiveName(id)) as ApplicationFailure;
    const missing = failure.type === ERROR_TYPES.archiveMissing;
    return {
      id,
      status: missing ? 'missing' : 'corrupted',
      detail: failure.message,
      bytes: fileSize(path.join(destination, archiveName(id))) ?? 0,
      files: 0,
    };
  }
}

const VERIFY_STATE = '.ha-verify-state.json';

/** Least recently verified first, so that scheduled samples cover every backup over time. */
export function pickForVerification(destination: string, ids: string[], sample: number): string[] {
  const state = readVerifyState(destination);
  return [...ids]
    .sort((a, b) => (state[a] ?? '').localeCompare(state[b] ?? '') || (a < b ? 1 : -1))
    .slice(0, sample);
}

export function readVerifyState(destination: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(path.join(destination, VERIFY_STATE), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

export function recordVerified(destination: string, reports: VerifyReport[], existing: string[]): void {
  const state = readVerifyState(destination);
  const now = new Date().toISOString();
  // Every backup read counts, good or bad, so that a broken one cannot starve the rotation.
  for (const r of reports) state[r.id] = now;
  const keep = new Set(existing);
  for (const id of Object.keys(state)) if (!keep.has(id)) delete state[id];
  try {
    writeFileAtomic(path.join(destination, VERIFY_STATE), JSON.stringify(state, null, 1));
  } catch {
    /* a read-only destination can still be verified */
  }
}

export function drillDirectory(set: string, id: string): string {
  return path.join(os.tmpdir(), `ha-drill-${set}-${id}-${process.pid}`);
}
