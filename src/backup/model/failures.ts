// Failure types of the backup capability (ApplicationFailure types). The ones retrying cannot
// fix are thrown non-retryable, with a message that says what to do, and listed below so that
// the workflows' retry policies and the CLI's exit codes agree.
import { CORE_FAILURES } from '../../core/errors';

export const BACKUP_FAILURES = {
  ...CORE_FAILURES,
  sourceMissing: 'SourceMissing',
  sourceUnreadable: 'SourceUnreadable',
  destinationNotWritable: 'DestinationNotWritable',
  destinationFull: 'DestinationFull',
  backupNotFound: 'BackupNotFound',
  backupInProgress: 'BackupInProgress',
  archiveMissing: 'ArchiveMissing',
  archiveCorrupted: 'ArchiveCorrupted',
  hostileArchive: 'HostileArchive',
  sidecarMissing: 'SidecarMissing',
  restoreTargetInvalid: 'RestoreTargetInvalid',
  restoreNoSpace: 'RestoreNoSpace',
  restoreInProgress: 'RestoreInProgress',
  restoreSwapFailed: 'RestoreSwapFailed',
  restoreAbandoned: 'RestoreAbandoned',
} as const;

const F = BACKUP_FAILURES;

/** Retrying cannot fix these. */
export const BACKUP_NON_RETRYABLE: readonly string[] = [
  F.badInput,
  F.secretMissing,
  F.commandNotFound,
  F.hookFailed,
  F.sourceMissing,
  F.sourceUnreadable,
  F.destinationNotWritable,
  F.destinationFull,
  F.backupNotFound,
  F.archiveMissing,
  F.archiveCorrupted,
  F.hostileArchive,
  F.sidecarMissing,
  F.restoreTargetInvalid,
  F.restoreNoSpace,
  F.restoreInProgress,
  F.restoreSwapFailed,
  F.restoreAbandoned,
];

/** A workflow that failed with one of these was given bad input: the CLI exits 2. */
export const BACKUP_BAD_INPUT: readonly string[] = [F.badInput, F.backupNotFound, F.restoreTargetInvalid];
