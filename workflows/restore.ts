// restore:<set>:<id> — restores one backup into a directory on a chosen host: checksum first,
// extraction into a staging directory checked against the manifest, then an atomic swap.
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { HostActivities } from '../activities';
import type { RestoreRequest, RestoreResult } from '../src/common/backup';
import { hostTaskQueue, SA_KEYS } from '../src/common/constants';

export interface RestoreWorkflowInput extends RestoreRequest {
  /** Host whose worker performs the restore (the archive must be readable there). */
  host: string;
}

export async function restoreWorkflow(input: RestoreWorkflowInput): Promise<RestoreResult> {
  const { backupRestore } = proxyActivities<HostActivities>({
    taskQueue: hostTaskQueue(input.host),
    scheduleToStartTimeout: '10 minutes',
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '30 seconds',
    // Safe to repeat: each attempt starts from a fresh staging directory.
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  upsertSearchAttributes([{ key: SA_KEYS.state, value: 'restoring' }]);
  setCurrentDetails(`restoring backup **${input.id}** of ${input.set} into ${input.target} on ${input.host}`);
  try {
    const r = await backupRestore(input);
    upsertSearchAttributes([{ key: SA_KEYS.state, value: 'done' }]);
    setCurrentDetails(
      `restored ${r.files} files (${r.bytes} bytes) into ${r.target}${r.previous ? `; previous content in ${r.previous}` : ''}`,
    );
    return r;
  } catch (err) {
    upsertSearchAttributes([{ key: SA_KEYS.state, value: 'failed' }]);
    throw err;
  }
}
