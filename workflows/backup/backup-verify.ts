// backup-verify:<set> — re-reads archives and reports each as ok, corrupted or missing. On a
// schedule it reads a rotating sample, least recently verified first.
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { VerifyReport } from '../../src/backup/model/types';
import { SA_KEYS } from '../../src/core/search-attributes';
import { longHostActivities } from './activities';

export interface BackupVerifyInput {
  set: string;
  host: string;
  destination: string;
  /** Specific backups; default all, or `sample` of them. */
  ids?: string[];
  sample?: number;
  /** Decompress and check every file's SHA-256, not only the archive's. */
  deep: boolean;
}

export async function backupVerifyWorkflow(input: BackupVerifyInput): Promise<VerifyReport[]> {
  const { backupVerify } = longHostActivities(input.host, {
    heartbeatTimeout: '1 minute',
    maximumAttempts: 5,
  });
  const reports = await backupVerify(input);
  const bad = reports.filter((r) => r.status !== 'ok');
  upsertSearchAttributes([{ key: SA_KEYS.state, value: bad.length ? 'corrupted' : 'ok' }]);
  setCurrentDetails(
    `${reports.length} backup(s) of ${input.set} read: ${reports.length - bad.length} ok` +
      (bad.length ? `, **${bad.length} bad**: ${bad.map((b) => `${b.id} ${b.status}`).join(', ')}` : ''),
  );
  return reports;
}
