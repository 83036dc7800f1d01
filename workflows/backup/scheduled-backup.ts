// What a backup Schedule starts: it runs backup:<set> as a child, so that scheduled and manual
// runs share one workflow ID and never overlap. A run that finds one in progress is skipped.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, ParentClosePolicy } from '@temporalio/workflow';
import type { BackupResult } from '../../src/backup/model/types';
import { BACKUP_IDS, BACKUP_KIND } from '../../src/backup/model/ids';
import { SHARED_TASK_QUEUE } from '../../src/core/names';
import { searchAttributePairs } from '../../src/core/search-attributes';
import { backupWorkflow } from './backup';
import type { BackupWorkflowInput } from './backup';

export type ScheduledBackupResult = BackupResult | { skipped: true; reason: string };

export async function scheduledBackupWorkflow(input: BackupWorkflowInput): Promise<ScheduledBackupResult> {
  const { spec } = input;
  try {
    return await executeChild(backupWorkflow, {
      workflowId: BACKUP_IDS.backupWorkflow(spec.set),
      taskQueue: SHARED_TASK_QUEUE,
      args: [{ ...input, trigger: 'schedule' }],
      // The backup finishes even if this wrapper is terminated.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: searchAttributePairs(BACKUP_KIND.backup, spec.set, spec.host),
      staticSummary: `backup of ${spec.set} on ${spec.host}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return {
        skipped: true,
        reason: `a backup of set ${spec.set} is already in progress (workflow ${BACKUP_IDS.backupWorkflow(spec.set)})`,
      };
    }
    throw err;
  }
}
