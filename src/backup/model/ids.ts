// IDs, kinds and workflow type names of the backup capability: what people see in the Web UI.
// Pure; imported by its workflows and its client.
import { shortHash } from '../../core/names';

/** Values of the HaKind search attribute. */
export const BACKUP_KIND = {
  backup: 'backup',
  backupVerify: 'backup-verify',
  backupDrill: 'backup-drill',
  restore: 'restore',
  backupAdmin: 'backup-admin',
} as const;

export const BACKUP_IDS = {
  backupSchedule: (set: string): string => `backup:${set}`,
  backupWorkflow: (set: string): string => `backup:${set}`,
  backupVerifySchedule: (set: string): string => `backup-verify:${set}`,
  backupDrillSchedule: (set: string): string => `backup-drill:${set}`,
  /**
   * One per backup, host and target: the same backup may be restored into two directories at
   * once. Two restores into one directory are kept apart by the target's lock on the host.
   */
  restoreWorkflow: (set: string, id: string, host: string, target: string): string => {
    const full = `restore:${set}:${id}:${host}:${target}`;
    // The server limits IDs to 1000 characters; a very long path keeps its ends and a hash.
    return full.length <= 400 ? full : `${full.slice(0, 180)}…${full.slice(-180)}#${shortHash(target)}`;
  },
  restoreCheckWorkflow: (set: string, tail: string): string => `restore-check:${set}-${tail}`,
  /** One-off helpers started by hactl; unique per call (tail: oneOffIdTail()). */
  backupAdminWorkflow: (op: 'list' | 'prune' | 'verify' | 'drill', set: string, tail: string): string =>
    `backup-${op}:${set}-${tail}`,
};

/**
 * Memo of a completed backup run: its summary (BackupSummary), so that `hactl status` reads a
 * fleet's newest backups from one listing instead of one result per set.
 */
export const BACKUP_MEMO = { summary: 'haBackup' } as const;

/** What `hactl apply` creates for backups. */
export const BACKUP_OWNED_ID_PREFIXES = ['backup:', 'backup-verify:', 'backup-drill:'] as const;

/** Workflow type names, as exported by workflows/backup. */
export const BACKUP_WORKFLOWS = {
  backup: 'backupWorkflow',
  scheduledBackup: 'scheduledBackupWorkflow',
  restore: 'restoreWorkflow',
  restoreInPlace: 'restoreInPlaceWorkflow',
  restoreCheck: 'restoreCheckWorkflow',
  backupVerify: 'backupVerifyWorkflow',
  backupDrill: 'backupDrillWorkflow',
  backupList: 'backupListWorkflow',
  backupPrune: 'backupPruneWorkflow',
} as const;
