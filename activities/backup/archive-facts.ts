// An archive against what its manifest (or the run that wrote it) says: there, the right size,
// and the right SHA-256 (computed by whoever reads it: restores in the same pass).
import { ApplicationFailure } from '@temporalio/common';
import { BACKUP_FAILURES } from '../../src/backup/model/failures';
import { fileSize } from './store';

/** What a manifest (or the run that wrote the archive) says of it. */
export interface ArchiveFacts {
  id: string;
  archiveBytes: number;
  archiveSha256: string;
}

/** The archive exists and has the size it should; `after` finishes the messages. */
export function checkArchiveSize(file: string, want: ArchiveFacts, after: string): void {
  const size = fileSize(file);
  if (size === undefined) {
    throw ApplicationFailure.nonRetryable(
      `archive ${file} of backup ${want.id} is missing`,
      BACKUP_FAILURES.archiveMissing,
    );
  }
  if (size !== want.archiveBytes) {
    throw ApplicationFailure.nonRetryable(
      `archive ${file} has ${size} bytes, its manifest says ${want.archiveBytes} (truncated or altered); ${after}`,
      BACKUP_FAILURES.archiveCorrupted,
    );
  }
}

/** The archive is not the one its manifest describes (exit 1; nothing to retry). */
export function checksumFailure(file: string, after: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `archive ${file} fails its SHA-256 check (corrupted); ${after}`,
    BACKUP_FAILURES.archiveCorrupted,
  );
}
