// backup-drill:<set> — proof that backups restore: the newest one is restored into a scratch
// directory on the set's host, checked file by file against its manifest, and removed.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { BackupSetSpec, RestoreResult } from '../../src/backup/model/types';
import { SA_KEYS } from '../../src/core/search-attributes';
import { longHostActivities } from './activities';

export interface BackupDrillInput {
  spec: BackupSetSpec;
  id?: string;
}

export async function backupDrillWorkflow(
  input: BackupDrillInput,
): Promise<RestoreResult & { manifestFiles: number }> {
  const { backupDrill } = longHostActivities(input.spec.host, {
    heartbeatTimeout: '30 seconds',
    maximumAttempts: 3,
  });
  try {
    const r = await backupDrill(input);
    upsertSearchAttributes([{ key: SA_KEYS.state, value: 'ok' }]);
    setCurrentDetails(
      `drill ok: backup **${r.id}** restored ${r.files} files (${r.bytes} bytes) in ${r.durationMs} ms`,
    );
    return r;
  } catch (err) {
    upsertSearchAttributes([{ key: SA_KEYS.state, value: 'failed' }]);
    throw err;
  }
}
