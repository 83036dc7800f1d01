// Reading archives back: the checksum every restore and verify starts with, manifests, verify
// of one backup, and the rotation that makes scheduled verifies cover every backup over time.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import type { Manifest, VerifyReport } from '../../src/backup/model/types';
import { writeFileAtomic } from '../shared/fs';
import { checkArchiveSize, checksumFailure } from './archive-facts';
import type { ArchiveFacts } from './archive-facts';
import { extractArchive, extractionFailure } from './extract';
import { fileSha256 } from './pgzip';
import { archiveName, fileSize, manifestName, readManifest } from './store';

export function loadManifestOrFail(destination: string, set: string, id: string): Manifest {
  const file = path.join(destination, manifestName(id));
  if (!existsSync(file)) {
    throw ApplicationFailure.nonRetryable(
      `backup ${id} of set ${set} not found (no ${file})`,
      BACKUP_FAILURES.backupNotFound,
    );
  }
  try {
    return readManifest(destination, id);
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `manifest of backup ${id} cannot be read: ${(err as Error).message}`,
      BACKUP_FAILURES.archiveCorrupted,
    );
  }
}

/**
 * Checks an archive's size and SHA-256 against what its manifest (or the run that wrote it)
 * says, without decompressing it. `after` finishes the messages ("nothing was written").
 */
export async function checkArchiveChecksum(
  file: string,
  want: ArchiveFacts,
  after: string,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  checkArchiveSize(file, want, after);
  const { sha256 } = await fileSha256(file, onProgress);
  if (sha256 !== want.archiveSha256) throw checksumFailure(file, after);
}

/** Re-reads one backup: its checksum, and (deep) in the same pass decompression and per-file SHA-256. */
export async function verifyOne(
  destination: string,
  set: string,
  id: string,
  deep: boolean,
  /** Bytes read so far (decompressed when deep), and how many there are. */
  onProgress?: (b: number, total: number) => void,
): Promise<VerifyReport> {
  let m: Manifest;
  try {
    m = loadManifestOrFail(destination, set, id);
  } catch (err) {
    const type = (err as ApplicationFailure).type;
    return {
      id,
      status: type === BACKUP_FAILURES.backupNotFound ? 'missing' : 'corrupted',
      detail: (err as Error).message,
      bytes: 0,
      files: 0,
    };
  }
  try {
    const archive = path.join(destination, archiveName(id));
    if (deep) {
      // The checksum in the same pass as the decompression and the per-file check.
      const r = await extractArchive({
        archive,
        manifest: m,
        checksum: { want: m, after: 'nothing was written' },
        ...(onProgress ? { onProgress: (b: number) => onProgress(b, m.bytesIn) } : {}),
      });
      return {
        id,
        status: 'ok',
        detail: `checksum ok; ${r.files + r.hardlinks} files match the manifest`,
        bytes: m.archiveBytes,
        files: r.files,
      };
    }
    await checkArchiveChecksum(
      archive,
      m,
      'nothing was written',
      onProgress && ((b) => onProgress(b, m.archiveBytes)),
    );
    return { id, status: 'ok', detail: 'checksum ok', bytes: m.archiveBytes, files: m.files };
  } catch (err) {
    const failure = extractionFailure(err, archiveName(id)) as ApplicationFailure;
    const missing = failure.type === BACKUP_FAILURES.archiveMissing;
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
