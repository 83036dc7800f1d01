// The backup capability's workflows, as the worker registers them (one per file).
export { backupWorkflow } from './backup';
export { scheduledBackupWorkflow } from './scheduled-backup';
export { restoreWorkflow } from './restore';
export { restoreInPlaceWorkflow } from './restore-in-place';
export { backupVerifyWorkflow } from './backup-verify';
export { backupDrillWorkflow } from './backup-drill';
export { backupListWorkflow, backupPruneWorkflow, restoreCheckWorkflow } from './backup-admin';
