// Every workflow the worker registers. One workflow per file.
export { healthSnapshotWorkflow } from './health-snapshot';
export { hostMonitorWorkflow } from './host-monitor';
export { backupWorkflow } from './backup';
export { scheduledBackupWorkflow } from './scheduled-backup';
export { restoreWorkflow } from './restore';
export { backupVerifyWorkflow } from './backup-verify';
export { backupDrillWorkflow } from './backup-drill';
export { backupListWorkflow, backupPruneWorkflow, restoreCheckWorkflow } from './backup-admin';
