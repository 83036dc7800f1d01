// Short helpers behind `hactl backup list` and `hactl backup prune`: they read (and for prune,
// delete in) the destination on the set's host.
import type { BackupInfo, BackupSetSpec, RestoreCheck, RestoreRequest } from '../../src/backup/model/types';
import type { RetentionDecision } from '../../src/backup/model/retention';
import { hostActivities } from './activities';

function acts(host: string) {
  return hostActivities(host, {
    // These answer a person at a terminal: fail soon when the host is down.
    scheduleToStartTimeout: '30 seconds',
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumAttempts: 3 },
  });
}

export interface BackupListResult {
  backups: BackupInfo[];
  unreadable: Array<{ id: string; error: string }>;
  damaged: Array<{ id: string; reason: string }>;
  orphans: string[];
}

export async function backupListWorkflow(input: {
  set: string;
  host: string;
  destination: string;
}): Promise<BackupListResult> {
  return acts(input.host).backupList({ destination: input.destination, set: input.set });
}

export async function backupPruneWorkflow(input: {
  spec: BackupSetSpec;
  dryRun: boolean;
}): Promise<{ decisions: RetentionDecision[]; removed: string[] }> {
  return acts(input.spec.host).backupApplyRetention({ spec: input.spec, dryRun: input.dryRun });
}

/** Preflight of `hactl restore`, on the restoring host: guards, space, lock. Writes nothing. */
export async function restoreCheckWorkflow(input: RestoreRequest & { host: string }): Promise<RestoreCheck> {
  return hostActivities(input.host, {
    scheduleToStartTimeout: '30 seconds',
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumAttempts: 3 },
  }).backupRestoreCheck(input);
}
