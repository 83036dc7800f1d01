// restore:<set>:<id> — restores one backup into a directory on a chosen host: checksum first,
// extraction into a staging directory checked against the manifest, then an atomic swap.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { RestoreRequest, RestoreResult } from '../src/common/backup';
import { SA_KEYS } from '../src/common/constants';
import { longHostActivities } from './host-activities';

export interface RestoreWorkflowInput extends RestoreRequest {
  /** Host whose worker performs the restore (the archive must be readable there). */
  host: string;
}

export async function restoreWorkflow(input: RestoreWorkflowInput): Promise<RestoreResult> {
  // Safe to repeat: each attempt starts from a fresh staging directory.
  const { backupRestore } = longHostActivities(input.host, {
    heartbeatTimeout: '30 seconds',
    maximumAttempts: 5,
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
