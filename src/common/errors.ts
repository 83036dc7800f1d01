// Failure types: what went wrong, as Temporal ApplicationFailure types. The ones retrying
// cannot fix are thrown as non-retryable, with a message that says what to do.
export const ERROR_TYPES = {
  badInput: 'BadInput',
  sourceMissing: 'SourceMissing',
  sourceUnreadable: 'SourceUnreadable',
  destinationNotWritable: 'DestinationNotWritable',
  destinationFull: 'DestinationFull',
  backupNotFound: 'BackupNotFound',
  backupInProgress: 'BackupInProgress',
  archiveMissing: 'ArchiveMissing',
  archiveCorrupted: 'ArchiveCorrupted',
  hostileArchive: 'HostileArchive',
  restoreTargetInvalid: 'RestoreTargetInvalid',
  restoreNoSpace: 'RestoreNoSpace',
  restoreInProgress: 'RestoreInProgress',
  restoreSwapFailed: 'RestoreSwapFailed',
  restoreAbandoned: 'RestoreAbandoned',
  secretMissing: 'SecretMissing',
  commandNotFound: 'CommandNotFound',
  hookFailed: 'HookFailed',
} as const;
