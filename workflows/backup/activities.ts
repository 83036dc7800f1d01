// Activity proxies of the backup capability: its host-bound activities, with its list of
// failure types that retrying cannot fix added to every retry policy.
import type { Duration } from '@temporalio/common';
import { ActivityCancellationType } from '@temporalio/workflow';
import type { ActivityInterfaceFor } from '@temporalio/workflow';
import type { BackupActivities } from '../../activities/backup';
import { BACKUP_NON_RETRYABLE } from '../../src/backup/model/failures';
import { hostActivities as proxyHost, longHostActivities as proxyLong } from '../shared/host-activities';
import type { HostStepOptions } from '../shared/host-activities';

export function hostActivities(host: string, o: HostStepOptions): ActivityInterfaceFor<BackupActivities> {
  return proxyHost<BackupActivities>(host, {
    ...o,
    retry: { ...o.retry, nonRetryableErrorTypes: [...BACKUP_NON_RETRYABLE] },
  });
}

export function longHostActivities(
  host: string,
  o: { heartbeatTimeout: Duration; maximumAttempts: number; maximumInterval?: Duration },
): ActivityInterfaceFor<BackupActivities> {
  return proxyLong<BackupActivities>(host, { ...o, nonRetryableErrorTypes: BACKUP_NON_RETRYABLE });
}

/**
 * The restore steps on `host`, for every restore workflow: extraction heartbeats every 2 s and,
 * on cancellation, is waited for until it has stopped and removed its staging directory; the
 * swap and the cleanup are short.
 */
export function restoreSteps(host: string) {
  const { backupRestoreExtract } = hostActivities(host, {
    startToCloseTimeout: '24 hours',
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 5 },
  });
  const { backupRestoreSwap, backupRestoreAbandon } = hostActivities(host, {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '1 second', maximumAttempts: 3 },
  });
  return { backupRestoreExtract, backupRestoreSwap, backupRestoreAbandon };
}
